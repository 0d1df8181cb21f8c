// An agent worker in Node.js: connects as role "node", answers each run with "echo: <task>", honours node.run.cancel
// and the run's timeoutMs. Stdout lines: "pairing-required <requestId>", "ready <deviceId>", "run <runId> <what>",
// "closed <reason>", "stopped". Exit 4 when the gateway revokes its token or removes the device. Usage and settings:
// README.md beside this file.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import * as signalR from "@microsoft/signalr";

const env = process.env;
const base = (env.GATEWAY_URL || "http://127.0.0.1:7071").replace(/\/+$/, "");
const identityPath = env.GATEWAY_IDENTITY || join(homedir(), ".functionsgateway", "identity.json");
const agentIds = (env.WORKER_AGENT_IDS || "").split(",").map((s) => s.trim()).filter(Boolean);
const echoDelayMs = Number(env.ECHO_DELAY_MS || 0);
const retryMs = Number(env.WORKER_RETRY_MS || 2000); // first wait between connects: while pairing is pending, after a drop
const retryMaxMs = Math.max(retryMs, Number(env.WORKER_RETRY_MAX_MS || 30000)); // the wait doubles up to this
// What a close means (docs/protocol.md §4.8): the service's close always allows a reconnect, so the reason decides.
const withdrawn = new Set(["device token revoked", "device removed", "sub-agent run ended"]);
// Signed and pinned at pairing: the same names as the .NET client, so both can share one identity file.
const platform = { darwin: "macos", win32: "windows" }[process.platform] ?? process.platform;
const client = { id: "node-echo-worker", version: "1.0.0", platform, mode: "worker" };
const out = (line) => console.log(line);

// The identity file is the .NET client's format (version 1): the Ed25519 seed and one device token per role.
const pkcs8 = (seed) => createPrivateKey({ key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]), format: "der", type: "pkcs8" });
const readIdentity = () => JSON.parse(readFileSync(identityPath, "utf8"));
function writeIdentity(file) {
  mkdirSync(dirname(identityPath), { recursive: true, mode: 0o700 });
  const temp = `${identityPath}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(file, null, 2), { mode: 0o600 });
  renameSync(temp, identityPath);
}
if (!existsSync(identityPath)) {
  const jwk = generateKeyPairSync("ed25519").privateKey.export({ format: "jwk" });
  const id = createHash("sha256").update(Buffer.from(jwk.x, "base64url")).digest("hex");
  writeIdentity({ version: 1, deviceId: id, publicKey: jwk.x, seed: jwk.d, createdAt: new Date().toISOString(), deviceTokens: {} });
}
const privateKey = pkcs8(Buffer.from(readIdentity().seed, "base64url"));
const publicKey = createPublicKey(privateKey).export({ format: "jwk" }).x; // derived, never trusted from the file
const deviceId = createHash("sha256").update(Buffer.from(publicKey, "base64url")).digest("hex");
const storedToken = () => readIdentity().deviceTokens?.node?.token;
function saveToken(token) {
  const file = readIdentity(); // re-read, so tokens other processes saved for other roles survive
  file.deviceTokens ??= {};
  if (token) file.deviceTokens.node = { token, scopes: [], issuedAt: new Date().toISOString() };
  else delete file.deviceTokens.node;
  writeIdentity(file);
}

function connectParams(nonce, auth) { // docs/protocol.md §3: v3|deviceId|clientId|mode|role|scopes|signedAt|token|nonce|platform|family
  const signedAt = Date.now();
  const payload = ["v3", deviceId, client.id, client.mode, "node", "", signedAt, auth.token || auth.deviceToken || "", nonce, client.platform, ""].join("|");
  const signature = sign(null, Buffer.from(payload, "utf8"), privateKey).toString("base64url");
  return { minProtocol: 3, maxProtocol: 3, client, role: "node", scopes: [], device: { id: deviceId, publicKey, signature, signedAt, nonce }, auth };
}

async function runOne(session, run) {
  if (agentIds.length > 0 && !agentIds.includes(run.agentId)) return;
  const abort = new AbortController(); // set before the claim, so a cancel that overtakes it is not lost
  session.runs.set(run.runId, abort);
  const report = (params) => session.call("node.event", { runId: run.runId, ...params }).catch(() => null);
  try {
    const claim = await report({ kind: "started" });
    if (!claim?.ok) return out(`run ${run.runId} refused ${claim?.error?.details?.code ?? claim?.error?.code ?? "connection closed"}`);
    out(`run ${run.runId} started`);
    const timer = run.timeoutMs > 0 ? setTimeout(() => abort.abort("timeout"), run.timeoutMs) : null;
    try {
      if (echoDelayMs > 0) await delay(echoDelayMs, null, { signal: abort.signal });
      if (abort.signal.aborted) throw abort.signal.reason;
      const done = await report({ kind: "completed", output: `echo: ${run.task}` });
      out(`run ${run.runId} ${done?.ok ? "completed" : `unreported ${done?.error?.details?.code ?? "connection closed"}`}`);
    } catch {
      if (abort.signal.reason === "timeout") {
        await report({ kind: "failed", error: `timed out after ${run.timeoutMs} ms` });
        out(`run ${run.runId} failed timed out after ${run.timeoutMs} ms`);
      } else {
        out(`run ${run.runId} cancelled ${abort.signal.reason}`); // node.run.cancel or a lost connection: report nothing
      }
    } finally {
      clearTimeout(timer);
    }
  } finally {
    session.runs.delete(run.runId);
  }
}

async function open() {
  const connection = new signalR.HubConnectionBuilder().withUrl(`${base}/api`).configureLogging(signalR.LogLevel.None).build();
  const session = { connection, runs: new Map(), call: (method, params) => connection.invoke("req", params ? { method, params } : { method }) };
  connection.on("event", (frame) => {
    if (frame?.event === "node.run") runOne(session, frame.payload);
    else if (frame?.event === "node.run.cancel") session.runs.get(frame.payload?.runId)?.abort(frame.payload.reason || "cancelled");
  });
  session.closed = new Promise((resolve) => connection.onclose((error) =>
    resolve((error?.message ?? "").replace(/^Server returned an error on close: /, ""))));
  await connection.start();
  return session;
}

let current = null;
let shownRequest = null;
let serving = false;
let stopping = false;
let waitMs = retryMs;
const exit = () => { out("stopped"); process.exit(0); };
// While serving, closing the connection ends the loop below cleanly; otherwise there is nothing to wind down.
process.on("SIGTERM", stop).on("SIGINT", stop);
function stop() { stopping = true; if (serving) current.connection.stop().catch(exit); else exit(); }

for (;;) {
  try {
    current = await open();
    const challenge = await current.call("connect.challenge");
    if (!challenge.ok) throw new Error(`connect.challenge: ${challenge.error.message}`);
    const token = storedToken();
    const auth = token ? { deviceToken: token } : { token: env.GATEWAY_SHARED_TOKEN || "" };
    const answer = await current.call("connect", connectParams(challenge.payload.nonce, auth));
    const code = answer.error?.details?.code;
    if (answer.error?.code === "NOT_PAIRED") { // wait longer each time and retry: the same ask keeps the same request id
      if (answer.error.details.requestId !== shownRequest) {
        shownRequest = answer.error.details.requestId;
        out(`pairing-required ${shownRequest}`);
        console.error(`waiting for approval: gateway devices approve ${shownRequest}`);
      }
    } else if (code === "AUTH_DEVICE_TOKEN_MISMATCH" && token) {
      saveToken(null); // revoked or rotated: retry at once with the shared token
      await current.connection.stop();
      continue;
    } else if (!answer.ok) {
      console.error(`connect refused: ${answer.error.code} (${code}): ${answer.error.message}`);
      process.exit(1);
    } else {
      if (answer.payload.auth.deviceToken) saveToken(answer.payload.auth.deviceToken);
      const ready = agentIds.length > 0 ? await current.call("node.event", { kind: "ready", agentIds }) : { ok: true };
      if (!ready.ok) { console.error(`ready refused: ${ready.error.code}: ${ready.error.message}`); process.exit(1); }
      out(`ready ${deviceId}`);
      serving = true;
      waitMs = retryMs;
      const reason = await current.closed;
      serving = false;
      current.runs.forEach((a) => a.abort(stopping ? "worker stopped" : "connection closed"));
      if (stopping) exit();
      out(`closed ${reason || "(no reason given)"}`);
      if (withdrawn.has(reason)) { // reconnecting with the shared token would undo the revocation
        console.error(`the gateway withdrew this device's access (${reason}): pair it again to serve runs`);
        process.exit(4);
      }
      if (reason === "device token rotated") continue; // the old token is dead: reconnect at once
    }
    await current.connection.stop();
  } catch (error) {
    console.error(`connection failed: ${error.message}; retrying`);
  }
  await delay(waitMs);
  waitMs = Math.min(waitMs * 2, retryMaxMs);
}
