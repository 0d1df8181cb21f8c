// app.js: the console page. Wires the first-run form, the connection status and the errors area (errors.js) to the
// one gateway client (gateway.js), and mounts the views (Pending requests, Devices, Sessions, Audit) on that client.
import { GatewayError, createGateway } from "./gateway.js";
import { KEYS, storage } from "./device.js";
import { clearErrors, showError } from "./errors.js";
import { mountPending } from "./view-pending.js";
import { mountDevices } from "./view-devices.js";
import { mountSessions } from "./view-sessions.js";
import { mountAudit } from "./view-audit.js";

const $ = (id) => document.getElementById(id);
const DEFAULT_SETTINGS = { clientId: "operator-console", scopes: ["operator.read", "operator.pairing"] };
const STATE_TEXT = {
  idle: "not connected", connecting: "connecting…", pending: "waiting for approval", connected: "connected",
  reconnecting: "reconnecting…", stopped: "stopped",
};

function describeWait(info) {
  const seconds = info.retryInMs > 0 ? `; trying again in ${Math.round(info.retryInMs / 1000)} s` : "";
  switch (info.state) {
    case "pending": {
      const codes = info.error ? ` (${info.error.code} / ${info.error.details?.code}, reason ${info.reason})` : "";
      return `request ${info.requestId}${codes}${seconds}`;
    }
    case "reconnecting": return `${info.reason ?? "connection lost"}${seconds}`;
    case "stopped": return info.reason ? `(${info.reason})` : "";
    default: return "";
  }
}

function render(info) {
  const state = $("connection-state");
  state.textContent = STATE_TEXT[info.state] ?? info.state;
  state.dataset.state = info.state;
  $("connection-detail").textContent = describeWait(info);
  if (info.deviceId) $("device-id").textContent = info.deviceId;
  $("scopes").textContent = info.state === "connected" && info.scopes.length ? info.scopes.join(", ") : "none";

  const pending = info.state === "pending";
  $("request-id").textContent = pending ? info.requestId : "";
  for (const id of ["request-id-label", "request-id-value", "pending-help"]) $(id).hidden = !pending;
  $("disconnect").hidden = info.state === "idle" || info.state === "stopped";
  $("retry-now").hidden = !(info.state === "pending" || info.state === "reconnecting");
  const showForm = info.state === "idle" || info.state === "stopped";
  const wasHidden = $("setup").hidden;
  $("setup").hidden = !showForm;
  if (showForm && wasHidden && info.state === "stopped") $("client-id").focus();
}

function readForm() {
  const form = $("setup-form");
  const clientId = form.elements.clientId.value.trim();
  const scopes = [...form.querySelectorAll('input[name="scopes"]:checked')].map((box) => box.value);
  const sharedToken = form.elements.sharedToken.value;
  if (!clientId) throw new GatewayError({ code: "INVALID_REQUEST", message: "enter a client name", details: { code: "INVALID_PARAMS", field: "client.id" } });
  if (!scopes.length) throw new GatewayError({ code: "INVALID_REQUEST", message: "choose at least one scope", details: { code: "INVALID_PARAMS", field: "scopes" } });
  return { clientId, scopes, sharedToken };
}

function fillForm(settings) {
  const form = $("setup-form");
  form.elements.clientId.value = settings.clientId;
  for (const box of form.querySelectorAll('input[name="scopes"]')) box.checked = settings.scopes.includes(box.value);
}

async function main() {
  if (!window.signalR) throw new Error("the SignalR client (signalr.min.js) did not load");
  const gateway = createGateway({ baseUrl: location.origin, signalR: window.signalR });
  // For tests and the browser's devtools: the live client.
  window.gatewayConsole = { gateway };
  gateway.onState(render);
  // Each view loads once connected, again after every reconnect, and follows the gateway's events in between.
  mountPending($("pending"), gateway);
  mountDevices($("devices"), gateway);
  mountSessions($("sessions"), gateway);
  mountAudit($("audit"), gateway);
  gateway.onError((error) => showError(error));
  $("errors-clear").addEventListener("click", () => clearErrors());
  $("disconnect").addEventListener("click", () => gateway.stop());
  $("retry-now").addEventListener("click", () => gateway.retryNow());

  const identity = await gateway.identity();
  $("device-id").textContent = identity.deviceId;
  const settings = { ...DEFAULT_SETTINGS, ...((await storage.get(KEYS.settings)) ?? {}) };
  fillForm(settings);

  $("setup-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const chosen = readForm();
      await storage.put(KEYS.settings, { clientId: chosen.clientId, scopes: chosen.scopes });
      $("setup-form").elements.sharedToken.value = "";
      await gateway.start(chosen);
    } catch (error) {
      showError(error);
    }
  });

  // A paired browser reconnects on load with its device token; a new one waits for the form.
  if (await storage.get(KEYS.deviceToken)) {
    await gateway.start(settings);
  } else {
    render({ state: "idle", deviceId: identity.deviceId, scopes: [] });
  }
}

// Nothing fails silently: a rejection or error no handler took is shown too.
window.addEventListener("unhandledrejection", (event) => showError(event.reason));
window.addEventListener("error", (event) => showError(event.error ?? event.message));

main().catch((error) => {
  showError(error);
  $("setup").hidden = true;
});
