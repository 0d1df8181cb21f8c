// The official JavaScript client with automatic reconnect, through the gateway's closes (docs/protocol.md §4.8).
// The service's close allows a reconnect, so the client comes back after "pairing required"; the retry policy below
// (the one the protocol document recommends) waits longer each time while approval is pending, and stops for good
// after "device token revoked".
// Usage: node node-reconnect.mjs <gatewayBaseUrl> <sharedToken> <adminKey> <firstDelayMs> <maxDelayMs> <pendingCycles>
// Prints one JSON line per step; exits non-zero on any deviation.
import { createHash, generateKeyPairSync, sign } from "node:crypto";
import * as signalR from "@microsoft/signalr";

const [base, sharedToken, adminKey, firstArg, maxArg, cyclesArg] = process.argv.slice(2);
const [firstMs, maxMs, cycles] = [Number(firstArg), Number(maxArg), Number(cyclesArg)];
const fail = (message) => { console.error(JSON.stringify({ step: "fail", message })); process.exit(1); };
const log = (entry) => console.log(JSON.stringify(entry));

// The recommended policy: what to do is decided by the close reason, not by allowReconnect (always true).
const stopFor = new Set(["device token revoked", "device removed", "sub-agent run ended"]);
let pendingWaits = 0; // reset once admitted: the client's own retry count restarts on every successful reconnect
const policy = {
  nextRetryDelayInMilliseconds(context) {
    const reason = (context.retryReason?.message ?? "").replace(/^Server returned an error on close: /, "");
    if (stopFor.has(reason)) return null;
    if (reason === "device token rotated") return 0;
    const step = reason === "pairing required" ? pendingWaits++ : context.previousRetryCount;
    return Math.min(firstMs * 2 ** step, maxMs);
  },
};

const { publicKey, privateKey } = generateKeyPairSync("ed25519");
const rawPublicKey = publicKey.export({ format: "der", type: "spki" }).subarray(12);
const deviceId = createHash("sha256").update(rawPublicKey).digest("hex");
const client = { id: "node-reconnect", version: "1.0.0", platform: "linux", mode: "cli" };
const scopes = ["operator.pairing"];
function connectParams(nonce) {
  const signedAt = Date.now();
  const payload = ["v3", deviceId, client.id, client.mode, "operator", scopes.join(","), signedAt, sharedToken, nonce, client.platform, ""].join("|");
  const signature = sign(null, Buffer.from(payload, "utf8"), privateKey).toString("base64url");
  return { minProtocol: 3, maxProtocol: 3, client, role: "operator", scopes, device: { id: deviceId, publicKey: rawPublicKey.toString("base64url"), signature, signedAt, nonce }, auth: { token: sharedToken } };
}

const connection = new signalR.HubConnectionBuilder().withUrl(`${base}/api`).withAutomaticReconnect(policy).configureLogging(signalR.LogLevel.None).build();
const events = [];
let wake = () => {};
const push = (event) => { events.push({ ...event, at: performance.now() }); wake(); };
connection.onreconnecting((error) => push({ kind: "reconnecting", message: error?.message }));
connection.onreconnected(() => push({ kind: "reconnected" }));
connection.onclose((error) => push({ kind: "closed", message: error?.message }));
async function next(what) {
  const deadline = Date.now() + 30000;
  while (events.length === 0) {
    if (Date.now() > deadline) fail(`no ${what} within 30 s`);
    await new Promise((resolve) => { wake = resolve; setTimeout(resolve, 1000); });
  }
  const event = events.shift();
  if (event.kind !== what) fail(`expected ${what}, got ${JSON.stringify(event)}`);
  return event;
}
async function handshake() {
  const challenge = await connection.invoke("req", { method: "connect.challenge" });
  if (!challenge.ok) fail("challenge failed: " + JSON.stringify(challenge));
  return connection.invoke("req", { method: "connect", params: connectParams(challenge.payload.nonce) });
}

// 1. While the request is pending, every connect is answered NOT_PAIRED and closed; the client comes back each time,
//    later each time, and the same ask keeps the same request id.
await connection.start();
let connections = 1;
let answer = await handshake();
if (answer.error?.code !== "NOT_PAIRED") fail("expected NOT_PAIRED: " + JSON.stringify(answer));
const requestId = answer.error.details.requestId;
for (let cycle = 0; cycle < cycles; cycle++) {
  const closed = await next("reconnecting");
  if (closed.message !== "Server returned an error on close: pairing required") fail("unexpected close: " + closed.message);
  const back = await next("reconnected");
  connections++;
  log({ step: "pending", cycle, requestId, delayMs: Math.round(back.at - closed.at), expectedMs: Math.min(firstMs * 2 ** cycle, maxMs) });
  answer = await handshake();
  if (answer.error?.details?.requestId !== requestId) fail("the pending request changed: " + JSON.stringify(answer));
}

// 2. Approved: the next reconnect is admitted.
const approved = await fetch(`${base}/api/admin/pairing/${requestId}/approve`, { method: "POST", headers: { "x-functions-key": adminKey } });
if (approved.status !== 200) fail("approve answered " + approved.status);
await next("reconnecting");
await next("reconnected");
connections++;
answer = await handshake();
if (!answer.ok) fail("expected hello-ok after the approval: " + JSON.stringify(answer));
pendingWaits = 0;
log({ step: "admitted", connections });

// 3. Revoked: the gateway closes with "device token revoked" and the client does not come back.
const revoked = await connection.invoke("req", { method: "device.token.revoke" });
if (!revoked.ok) fail("revoke failed: " + JSON.stringify(revoked));
const final = await next("closed");
log({ step: "closed", message: final.message, connections });
process.exit(0);
