/*
 * gateway.js: the console's one connection to the gateway, as a device (docs/protocol.md §3, §4.4, §4.8, §6.6, §7).
 *
 *   const gateway = createGateway({ baseUrl, signalR, device })   // baseUrl: this origin; signalR: the browser client
 *   await gateway.start({ clientId, scopes, sharedToken? })        // connect, pair if needed, stay connected
 *   await gateway.stop()                                           // close; no more reconnects
 *   gateway.retryNow()                                             // while pending or reconnecting: skip the wait
 *
 *   gateway.call(method, params?)  → Promise<payload>. Rejects with a GatewayError:
 *                                    { name: "GatewayError", code, message, details: { code, ...extra } }
 *                                    (code/details.code as the gateway sent them; for problems this client sees itself:
 *                                    UNAVAILABLE with CONNECTION_CLOSED, CONNECT_FAILED or MALFORMED_FRAME)
 *   gateway.on(eventName, handler) → unsubscribe(). handler(payload, frame{event, payload, seq}); "*" gets every event
 *   gateway.onState(handler)       → unsubscribe(). handler(info) on every change, info = {
 *                                      state: "idle" | "connecting" | "pending" | "connected" | "reconnecting" | "stopped",
 *                                      deviceId, scopes, role, requestId? (pending), reason? (why not connected),
 *                                      retryInMs? (pending/reconnecting), error? (a GatewayError) }
 *   gateway.onError(handler)       → unsubscribe(). every error the connection meets (a GatewayError), for display
 *   gateway.state, .scopes (held after hello-ok), .role, .deviceId, .hello (the last hello-ok payload)
 */
import { KEYS, connectParams, loadOrCreateIdentity, storage } from "./device.js";

export const CLIENT = Object.freeze({ mode: "ui", platform: "web", deviceFamily: "browser", version: "1.0.0" });
const ROLE = "operator";
const CLOSE_PREFIX = /^Server returned an error on close: /;
/** Close reasons after which a client must not come back by itself (§4.8). */
const STOP_FOR = new Set(["device token revoked", "device removed", "sub-agent run ended"]);
/** Refusals the user must fix (token, form input): retrying the same connect would only be refused again. */
const FIX_FIRST = new Set(["AUTH_UNAUTHORIZED", "INVALID_PARAMS", "INVALID_SCOPE", "INVALID_ROLE", "PROTOCOL_MISMATCH",
  "DEVICE_AUTH_DEVICE_ID_MISMATCH", "DEVICE_AUTH_PUBLIC_KEY_INVALID", "DEVICE_AUTH_SIGNATURE_INVALID", "INTERNAL_IDENTITY_BOUNDARY"]);
const FIRST_WAIT_MS = 2000;
const MAX_WAIT_MS = 30000;

export class GatewayError extends Error {
  constructor({ code, message, details } = {}) {
    super(message || code || "gateway error");
    this.name = "GatewayError";
    this.code = code || "UNAVAILABLE";
    this.details = details && typeof details === "object" ? details : { code: this.code };
  }

  /** "CODE / DETAIL_CODE: message", as the console shows it. */
  toString() {
    const detail = this.details?.code && this.details.code !== this.code ? ` / ${this.details.code}` : "";
    return `${this.code}${detail}: ${this.message}`;
  }
}

const clientError = (detailCode, message) => new GatewayError({ code: "UNAVAILABLE", message, details: { code: detailCode } });
const reasonOf = (error) => (error?.message ?? "").replace(CLOSE_PREFIX, "") || null;
const backoff = (step) => Math.min(FIRST_WAIT_MS * 2 ** step, MAX_WAIT_MS);

async function request(connection, method, params) {
  let answer;
  try {
    answer = await connection.invoke("req", params === undefined ? { method } : { method, params });
  } catch (error) {
    if (connection.state === "Connected") {
      // e.g. "Invocation failed, status code 500": the upstream answered with an HTTP error instead of a result.
      throw new GatewayError({ code: "UNAVAILABLE", message: String(error?.message ?? error) });
    }
    throw clientError("CONNECTION_CLOSED", `connection closed: ${reasonOf(error) ?? "no reason given"}`);
  }

  if (answer?.ok === true) return answer.payload;
  if (answer?.ok === false && answer.error) throw new GatewayError(answer.error);
  throw clientError("MALFORMED_FRAME", "the gateway's answer was not {ok, payload?, error?}");
}

export function createGateway({ baseUrl, signalR }) {
  const listeners = { state: new Set(), error: new Set(), events: new Map() };
  let connection = null;
  let identity = null;
  let settings = null;
  let run = 0; // bumped by start/stop: an older loop sees it and ends
  let wake = null;
  const gateway = { state: "idle", scopes: [], role: ROLE, deviceId: null, hello: null };

  const emit = (set, ...args) => { for (const handler of [...set]) { try { handler(...args); } catch (e) { console.error(e); } } };
  const subscribe = (set, handler) => { set.add(handler); return () => set.delete(handler); };
  const setState = (state, extra = {}) => {
    gateway.state = state;
    emit(listeners.state, { state, deviceId: gateway.deviceId, scopes: [...gateway.scopes], role: gateway.role, ...extra });
  };
  const report = (error) => emit(listeners.error, error instanceof GatewayError ? error : clientError("CONNECT_FAILED", String(error?.message ?? error)));
  const sleep = (ms, mine) => new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    wake = () => { clearTimeout(timer); resolve(); };
  }).then(() => { wake = null; return mine === run; });

  function dispatch(frame) {
    if (!frame || typeof frame.event !== "string") return;
    for (const key of [frame.event, "*"]) emit(listeners.events.get(key) ?? new Set(), frame.payload, frame);
  }

  async function open() {
    const hub = new signalR.HubConnectionBuilder()
      .withUrl(`${baseUrl}/api`)
      .configureLogging(signalR.LogLevel.None)
      .build();
    const closed = new Promise((resolve) => hub.onclose((error) => resolve(reasonOf(error))));
    hub.on("event", dispatch);
    try {
      await hub.start();
    } catch (error) {
      throw clientError("CONNECT_FAILED", `could not reach the gateway: ${error?.message ?? error}`);
    }
    return { hub, closed };
  }

  async function handshake(hub, auth) {
    const challenge = await request(hub, "connect.challenge");
    const client = { id: settings.clientId, ...CLIENT };
    const params = await connectParams(identity, { client, role: ROLE, scopes: settings.scopes, nonce: challenge.nonce, auth });
    return request(hub, "connect", params);
  }

  async function admitted(hello) {
    const minted = hello.auth?.deviceToken;
    if (minted) {
      await storage.put(KEYS.deviceToken, { token: minted, role: hello.auth.role, scopes: hello.auth.scopes });
    }
    gateway.hello = { ...hello, auth: { ...hello.auth, deviceToken: undefined } };
    gateway.scopes = [...(hello.auth?.scopes ?? [])];
    gateway.role = hello.auth?.role ?? ROLE;
  }

  /** One connect: "connected" (then waits for the close), or throws what stopped it. Answers the close reason. */
  async function attempt(mine) {
    const stored = await storage.get(KEYS.deviceToken);
    const auth = stored?.token ? { deviceToken: stored.token } : settings.sharedToken ? { token: settings.sharedToken } : null;
    if (!auth) {
      throw new GatewayError({ code: "INVALID_REQUEST", message: "enter the shared gateway token to pair this browser", details: { code: "AUTH_UNAUTHORIZED" } });
    }

    const { hub, closed } = await open();
    connection = hub;
    try {
      const hello = await handshake(hub, auth);
      if (mine !== run) return null;
      await admitted(hello);
      setState("connected");
      return await closed;
    } catch (error) {
      if (error instanceof GatewayError && error.details?.code === "AUTH_DEVICE_TOKEN_MISMATCH" && auth.deviceToken) {
        // A rotated or revoked token: forget it and pair again with the shared token (§4.8).
        await storage.remove(KEYS.deviceToken);
      }
      throw error;
    } finally {
      connection = null;
      hub.stop().catch(() => {});
    }
  }

  async function loop(mine) {
    let failures = 0;
    let pendingWaits = 0;
    setState("connecting");
    while (mine === run) {
      let wait;
      try {
        const reason = await attempt(mine);
        if (mine !== run) return;
        gateway.scopes = [];
        failures = 0;
        pendingWaits = 0;
        if (STOP_FOR.has(reason)) {
          const error = new GatewayError({ code: "INVALID_REQUEST", message: `the gateway closed the connection: ${reason}; pair this browser again`, details: { code: "CONNECTION_CLOSED", reason } });
          report(error);
          setState("stopped", { reason, error });
          return;
        }
        wait = reason === "device token rotated" ? 0 : backoff(failures++);
        setState("reconnecting", { reason: reason ?? "connection lost", retryInMs: wait });
      } catch (error) {
        if (mine !== run) return;
        const code = error?.details?.code;
        if (error?.code === "NOT_PAIRED") {
          // A human must approve: poll on a growing wait; the same ask keeps the same request id (§4.4, §4.8).
          wait = backoff(pendingWaits++);
          setState("pending", { requestId: error.details.requestId, reason: error.details.reason, error, retryInMs: wait });
        } else if (code === "AUTH_DEVICE_TOKEN_MISMATCH" && settings.sharedToken) {
          wait = 0;
        } else if (error instanceof GatewayError && (FIX_FIRST.has(code) || code === "AUTH_DEVICE_TOKEN_MISMATCH")) {
          report(error);
          setState("stopped", { reason: error.message, error });
          return;
        } else {
          report(error);
          wait = Math.max(backoff(failures++), Number(error?.details?.retryAfterMs) || 0);
          setState("reconnecting", { reason: String(error?.message ?? error), error, retryInMs: wait });
        }
      }
      if (wait > 0 && !(await sleep(wait, mine))) return;
    }
  }

  gateway.start = async (options) => {
    settings = { clientId: options.clientId, scopes: [...options.scopes], sharedToken: options.sharedToken || null };
    identity ??= await loadOrCreateIdentity();
    gateway.deviceId = identity.deviceId;
    const mine = ++run;
    wake?.();
    loop(mine).catch((error) => { report(error); setState("stopped", { reason: String(error?.message ?? error) }); });
  };

  gateway.stop = async () => {
    run++;
    wake?.();
    const hub = connection;
    connection = null;
    gateway.scopes = [];
    setState("idle");
    if (hub) await hub.stop().catch(() => {});
  };

  gateway.retryNow = () => { wake?.(); };

  gateway.call = (method, params) => {
    if (!connection || gateway.state !== "connected") {
      return Promise.reject(clientError("CONNECTION_CLOSED", `not connected (${gateway.state})`));
    }
    return request(connection, method, params);
  };

  gateway.on = (eventName, handler) => {
    if (!listeners.events.has(eventName)) listeners.events.set(eventName, new Set());
    return subscribe(listeners.events.get(eventName), handler);
  };
  gateway.onState = (handler) => subscribe(listeners.state, handler);
  gateway.onError = (handler) => subscribe(listeners.error, handler);
  gateway.identity = async () => { identity ??= await loadOrCreateIdentity(); gateway.deviceId = identity.deviceId; return identity; };
  return gateway;
}
