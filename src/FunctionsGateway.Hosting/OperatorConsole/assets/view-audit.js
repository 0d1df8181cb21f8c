// view-audit.js: the latest audit entries (audit.list, operator.admin; live via audit.appended), filtered on the server
// by device and by action (docs/protocol.md §4.6). Changing a filter queries again; new entries that match it are
// prepended as they arrive.
import { SCOPES, act, el, formatTime, mountView, scopeText, uid } from "./view-kit.js";

export const AUDIT_ACTIONS = [
  "pairing.requested", "pairing.superseded", "pairing.expired", "pairing.approved", "pairing.rejected", "pairing.approved.silent",
  "device.removed", "device.token.rotated", "device.token.revoked", "subagent.boundary.refused",
];
const LIMIT = 100;
/** "device:<64 hex>" is shortened for the table; the full actor stays in the cell's title. */
const shortActor = (actor) => (/^device:[0-9a-f]{64}$/.test(actor ?? "") ? `${actor.slice(0, 19)}…` : actor);

export function mountAudit(section, gateway) {
  let entries = [];
  let filter = {};
  const ids = { device: uid("audit-device"), action: uid("audit-action"), help: uid("audit-device-help") };
  const device = el("input", { type: "text", id: ids.device, name: "deviceId", autocomplete: "off", spellcheck: false, maxLength: 64, "aria-describedby": ids.help });
  const action = el("select", { id: ids.action, name: "action" }, el("option", { value: "" }, "any action"), AUDIT_ACTIONS.map((a) => el("option", { value: a }, a)));
  const apply = el("button", { type: "submit" }, "Apply filter");
  const reset = el("button", { type: "button" }, "Clear filter");
  const summary = el("p", { className: "help", id: "audit-summary" });
  const rows = el("tbody");
  const form = el("form", { id: "audit-filter", className: "filters", noValidate: true },
    el("p", {}, el("label", { for: ids.device }, "Device id"), device, el("span", { className: "help", id: ids.help }, "All 64 hex characters, or empty for every device.")),
    el("p", {}, el("label", { for: ids.action }, "Action"), action),
    el("p", {}, apply, " ", reset));
  const body = el("div", {}, form, summary,
    el("table", { className: "grid", id: "audit-table" },
      el("caption", { className: "sr-only" }, "Audit entries, newest first"),
      el("thead", {}, el("tr", {}, ["Time", "Action", "Device", "Actor", "Role", "Scopes", "Reason"].map((h) => el("th", { scope: "col" }, h)))),
      rows));

  const matches = (entry) => (!filter.deviceId || entry.deviceId === filter.deviceId) && (!filter.action || entry.action === filter.action);

  function render() {
    rows.replaceChildren(...entries.map((e) => el("tr", { dataset: { deviceId: e.deviceId, action: e.action, requestId: e.requestId ?? "" } },
      el("td", {}, el("time", { dateTime: e.at }, formatTime(e.atMs))),
      el("th", { scope: "row" }, e.action),
      el("td", {}, el("code", { title: e.deviceId }, e.deviceId.slice(0, 16) + "…")),
      el("td", { title: e.actor }, shortActor(e.actor)),
      el("td", {}, e.role ?? "—"),
      el("td", {}, `${scopeText(e.scopesFrom)} → ${scopeText(e.scopesTo)}`),
      el("td", {}, e.reason ?? "—"))));
    const described = [filter.deviceId && `device ${filter.deviceId.slice(0, 12)}…`, filter.action && `action ${filter.action}`].filter(Boolean).join(", ");
    summary.textContent = `${entries.length} entr${entries.length === 1 ? "y" : "ies"}${described ? ` for ${described}` : ""}.`;
  }

  async function query() {
    const answer = await gateway.call("audit.list", { limit: LIMIT, ...filter });
    entries = answer.entries ?? [];
    render();
  }

  const requery = (button) => {
    filter = { ...(device.value.trim() ? { deviceId: device.value.trim().toLowerCase() } : {}), ...(action.value ? { action: action.value } : {}) };
    return act(button, query);
  };
  form.addEventListener("submit", (event) => { event.preventDefault(); requery(apply); });
  action.addEventListener("change", () => requery(apply));
  reset.addEventListener("click", () => { device.value = ""; action.value = ""; requery(reset); });

  const view = mountView(section, { gateway, body, needs: [SCOPES.admin], load: query });

  gateway.on("audit.appended", ({ entry }) => {
    if (!entry || section.dataset.allowed !== "true" || !matches(entry)) return;
    entries = [entry, ...entries].slice(0, LIMIT);
    render();
  });
  return view;
}
