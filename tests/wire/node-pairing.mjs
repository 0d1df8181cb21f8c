// The pairing flow with the official JavaScript SignalR client, to prove the wire is not .NET-only.
// Usage: node node-pairing.mjs <gatewayBaseUrl> <sharedToken> <adminKey>
// Prints one JSON line per step; exits non-zero on any deviation.
import { createHash, generateKeyPairSync, sign } from "node:crypto";
import * as signalR from "@microsoft/signalr";

const [base, sharedToken, adminKey] = process.argv.slice(2);
const fail = (message) => { console.error(JSON.stringify({ step: "fail", message })); process.exit(1); };
const b64url = (buf) => Buffer.from(buf).toString("base64url");

const { publicKey, privateKey } = generateKeyPairSync("ed25519");
const rawPublicKey = publicKey.export({ format: "der", type: "spki" }).subarray(12); // strip the SPKI prefix
const deviceId = createHash("sha256").update(rawPublicKey).digest("hex");
const client = { id: "node-e2e", version: "1.0.0", platform: "Linux ", deviceFamily: "", mode: "cli" };
const scopes = ["operator.read"];

function connectParams(nonce) {
  const signedAt = Date.now();
  const norm = (v) => (v ?? "").trim().replace(/[A-Z]/g, (c) => c.toLowerCase());
  const payload = ["v3", deviceId, client.id, client.mode, "operator", scopes.join(","), signedAt, sharedToken, nonce,
    norm(client.platform), norm(client.deviceFamily)].join("|");
  return {
    minProtocol: 3, maxProtocol: 3, client, role: "operator", scopes,
    device: { id: deviceId, publicKey: b64url(rawPublicKey), signature: b64url(sign(null, Buffer.from(payload, "utf8"), privateKey)), signedAt, nonce },
    auth: { token: sharedToken },
  };
}

async function open() {
  const connection = new signalR.HubConnectionBuilder()
    .withUrl(`${base}/api`)
    .configureLogging(signalR.LogLevel.None)
    .build();
  const closed = new Promise((resolve) => connection.onclose((error) => resolve(error ? error.message : null)));
  await connection.start();
  return { connection, closed };
}

async function handshake(connection) {
  const challenge = await connection.invoke("req", { method: "connect.challenge" });
  if (!challenge.ok) fail("challenge failed: " + JSON.stringify(challenge));
  return connection.invoke("req", { method: "connect", params: connectParams(challenge.payload.nonce) });
}

// 1. A new device: the structured NOT_PAIRED answer, then the close with its reason.
const first = await open();
const refused = await handshake(first.connection);
let closedYet = false;
first.closed.then(() => { closedYet = true; });
if (refused.ok || refused.error.code !== "NOT_PAIRED" || refused.error.details.code !== "PAIRING_REQUIRED") fail("expected NOT_PAIRED: " + JSON.stringify(refused));
if (closedYet) fail("the close overtook the NOT_PAIRED completion");
const requestId = refused.error.details.requestId;
console.log(JSON.stringify({ step: "not-paired", requestId, reason: refused.error.details.reason }));
const closeMessage = await Promise.race([first.closed, new Promise((r) => setTimeout(() => r("timeout"), 20000))]);
if (closeMessage !== "Server returned an error on close: pairing required") fail("unexpected close: " + closeMessage);
console.log(JSON.stringify({ step: "closed", message: closeMessage }));

// 2. An admin approves through the admin HTTP API.
const approved = await fetch(`${base}/api/admin/pairing/${requestId}/approve`, { method: "POST", headers: { "x-functions-key": adminKey } });
if (approved.status !== 200) fail("approve answered " + approved.status);
console.log(JSON.stringify({ step: "approved", decision: (await approved.json()).decision }));

// 3. Reconnect: hello-ok with the scopes and a fresh device token, then an authorized call and a denied one.
const second = await open();
const hello = await handshake(second.connection);
if (!hello.ok || hello.payload.type !== "hello-ok") fail("expected hello-ok: " + JSON.stringify(hello));
if (!hello.payload.auth.deviceToken) fail("no device token in hello-ok");
const status = await second.connection.invoke("req", { method: "status" });
const denied = await second.connection.invoke("req", { method: "audit.list" });
if (!status.ok || status.payload.connection.deviceId !== deviceId) fail("status failed: " + JSON.stringify(status));
if (denied.ok || denied.error.message !== "missing scope: operator.admin") fail("audit.list was not denied: " + JSON.stringify(denied));
console.log(JSON.stringify({ step: "hello-ok", scopes: hello.payload.auth.scopes, deviceId }));
await second.connection.stop();
process.exit(0);
