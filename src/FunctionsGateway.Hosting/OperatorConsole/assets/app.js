// app.js: the console page. Wires the first-run form, the connection status and the shared errors area to gateway.js.
// The views (Pending requests, Devices, Sessions, Audit) build on window.gatewayConsole.gateway (see gateway.js).
import { GatewayError, createGateway } from "./gateway.js";
import { KEYS, storage } from "./device.js";

const $ = (id) => document.getElementById(id);
const MAX_ERRORS = 8;
const DEFAULT_SETTINGS = { clientId: "operator-console", scopes: ["operator.read", "operator.pairing"] };
const STATE_TEXT = {
  idle: "not connected", connecting: "connecting…", pending: "waiting for approval", connected: "connected",
  reconnecting: "reconnecting…", stopped: "stopped",
};

const errors = {
  show(error) {
    const text = error instanceof GatewayError ? error.toString() : `${error?.code ?? "ERROR"}: ${error?.message ?? error}`;
    const list = $("error-list");
    const last = list.lastElementChild;
    if (last?.dataset.text === text) {
      last.dataset.count = String(Number(last.dataset.count) + 1);
      last.textContent = `${text} (×${last.dataset.count})`;
    } else {
      const item = document.createElement("li");
      item.dataset.text = text;
      item.dataset.count = "1";
      item.textContent = text;
      list.append(item);
      while (list.children.length > MAX_ERRORS) list.firstElementChild.remove();
    }
    $("errors").hidden = false;
  },
  clear() {
    $("error-list").replaceChildren();
    $("errors").hidden = true;
  },
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
  window.gatewayConsole = { gateway, errors };
  gateway.onState(render);
  gateway.onError((error) => errors.show(error));
  $("errors-clear").addEventListener("click", () => errors.clear());
  $("disconnect").addEventListener("click", () => gateway.stop());

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
      errors.show(error);
    }
  });

  // A paired browser reconnects on load with its device token; a new one waits for the form.
  if (await storage.get(KEYS.deviceToken)) {
    await gateway.start(settings);
  } else {
    render({ state: "idle", deviceId: identity.deviceId, scopes: [] });
  }
}

main().catch((error) => {
  errors.show(error);
  $("setup").hidden = true;
});
