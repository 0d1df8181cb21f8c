// view-devices.js: paired devices with roles, scopes, tokens and last use (device.pair.list with details; live via
// device.changed). Revoke a token; remove a device after an inline "Confirm remove" step. Acting on another device
// needs operator.admin, on this browser operator.pairing (docs/protocol.md §4.7).
import { SCOPES, act, el, formatTime, mountView, satisfies, scopeText, uid } from "./view-kit.js";

const PAGE = 50;

export function mountDevices(section, gateway) {
  const devices = new Map();
  let next = null;
  const showInternal = el("input", { type: "checkbox", id: "devices-internal" });
  const more = el("button", { type: "button", id: "devices-more", hidden: true }, "Show more devices");
  const announce = el("p", { className: "sr-only", "aria-live": "polite" });
  const rows = el("tbody");
  const table = el("table", { className: "grid", id: "devices-table", tabIndex: -1 },
    el("caption", { className: "sr-only" }, "Paired devices"),
    el("thead", {}, el("tr", {}, ["Device", "Client", "Roles", "Scopes", "Tokens", "Last use", "Actions"].map((h) => el("th", { scope: "col" }, h)))),
    rows);
  const body = el("div", {},
    el("p", {}, showInternal, el("label", { for: "devices-internal", className: "inline" }, "Show sub-agent identities")),
    announce, table, more);

  const render = () => {
    const shown = [...devices.values()].filter((d) => showInternal.checked || !d.internal);
    rows.replaceChildren(...shown.map(row));
    more.hidden = !next;
  };

  function canActOn(device) {
    if (device.deviceId === gateway.deviceId) return null;
    return satisfies(gateway.scopes, SCOPES.admin) ? null : "Acting on another device needs operator.admin.";
  }

  function row(device) {
    const blocker = canActOn(device);
    const whyId = blocker ? uid("why") : undefined;
    const disabledBy = (button) => { button.disabled = !!blocker; if (blocker) { button.setAttribute("aria-describedby", whyId); button.title = blocker; } return button; };
    const name = device.clientId || device.deviceId.slice(0, 12);

    const tokens = el("ul", { className: "plain" }, (device.tokens ?? []).map((token) => {
      const revoke = disabledBy(el("button", { type: "button", className: "small", "aria-label": `Revoke the ${token.role} token of ${name}` }, "Revoke"));
      revoke.hidden = token.state === "revoked";
      revoke.addEventListener("click", () => act(revoke, () => gateway.call("device.token.revoke", { deviceId: device.deviceId, role: token.role })
        .then(() => updateToken(device.deviceId, token.role, "revoked"))).finally(() => { revoke.disabled = !!canActOn(device); }));
      return el("li", { dataset: { role: token.role, state: token.state } }, `${token.role}: `, el("span", { className: `token-${token.state}` }, token.state), " ", revoke);
    }));

    const remove = disabledBy(el("button", { type: "button", className: "small", "aria-label": `Remove ${name}` }, "Remove"));
    const confirm = el("button", { type: "button", className: "small danger", hidden: true, "aria-label": `Confirm remove ${name}` }, "Confirm remove");
    const cancel = el("button", { type: "button", className: "small", hidden: true }, "Cancel");
    const ask = (asking) => { remove.hidden = asking; confirm.hidden = !asking; cancel.hidden = !asking; (asking ? confirm : remove).focus(); };
    remove.addEventListener("click", () => ask(true));
    cancel.addEventListener("click", () => ask(false));
    confirm.addEventListener("click", () => act(confirm, async () => {
      await gateway.call("device.pair.remove", { deviceId: device.deviceId });
      drop(device.deviceId);
      table.focus(); // the row and its buttons are gone: keep the keyboard in the table

    }).finally(() => { if (confirm.isConnected) ask(false); }));

    return el("tr", { dataset: { deviceId: device.deviceId } },
      el("th", { scope: "row" }, el("code", { title: device.deviceId }, device.deviceId.slice(0, 16) + "…"), device.deviceId === gateway.deviceId ? " (this browser)" : "",
        device.internal ? " (sub-agent)" : ""),
      el("td", {}, device.clientId || "—", device.platform ? el("span", { className: "help" }, device.platform) : null),
      el("td", { className: "roles" }, scopeText(device.roles)),
      el("td", { className: "scopes" }, scopeText(device.scopes)),
      el("td", { className: "tokens" }, tokens),
      el("td", {}, device.lastUsedAtMs ? formatTime(device.lastUsedAtMs) : "—", el("span", { className: "help" }, `${device.connections ?? 0} connected`)),
      el("td", { className: "actions" }, remove, confirm, " ", cancel, blocker ? el("span", { className: "why", id: whyId }, blocker) : null));
  }

  function updateToken(deviceId, role, state, scopes) {
    const device = devices.get(deviceId);
    if (!device) return;
    const token = (device.tokens ??= []).find((t) => t.role === role);
    if (token) { token.state = state; if (scopes) token.scopes = scopes; } else device.tokens.push({ role, state, scopes: scopes ?? [] });
    render();
  }

  function drop(deviceId) {
    const device = devices.get(deviceId);
    if (!device || !devices.delete(deviceId)) return;
    if (!device.internal) announce.textContent = `Device ${device.clientId || deviceId.slice(0, 12)} removed.`;
    render();
  }

  async function loadPage(cursor) {
    const page = await gateway.call("device.pair.list", { limit: PAGE, details: true, ...(cursor ? { next: cursor } : {}) });
    for (const device of page.paired ?? []) devices.set(device.deviceId, device);
    next = page.next ?? null;
    render();
  }

  more.addEventListener("click", () => act(more, () => loadPage(next)));
  showInternal.addEventListener("change", render);

  const view = mountView(section, {
    gateway, body, needs: [SCOPES.pairing],
    load: async () => { devices.clear(); next = null; await loadPage(null); },
  });

  gateway.on("device.changed", (change) => {
    if (section.dataset.allowed !== "true") return;
    switch (change.change) {
      case "removed": drop(change.deviceId); break;
      case "paired": {
        const device = devices.get(change.deviceId) ?? { deviceId: change.deviceId, tokens: [], connections: 0, internal: !!change.internal };
        device.roles = change.roles ?? [change.role];
        device.scopes = change.scopes ?? [];
        devices.set(change.deviceId, device);
        if (!device.internal) announce.textContent = `Device ${device.clientId || change.deviceId.slice(0, 12)} paired.`;
        if (change.role) updateToken(change.deviceId, change.role, "pending", change.scopes);
        render();
        break;
      }
      case "token.revoked": updateToken(change.deviceId, change.role, "revoked", change.scopes); break;
      case "token.rotated": updateToken(change.deviceId, change.role, "active", change.scopes); break;
      default: break;
    }
  });
  return view;
}
