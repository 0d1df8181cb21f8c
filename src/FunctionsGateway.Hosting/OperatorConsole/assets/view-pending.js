// view-pending.js: pending pairing requests (device.pair.list; live via device.pair.requested / device.pair.resolved).
// Approve is enabled only when this browser holds what the approval needs (docs/protocol.md §2, §4.5): every requested
// scope, and operator.admin for a node; a disabled button says why.
import { showError } from "./errors.js";
import { SCOPES, act, el, formatLeft, formatTime, mountView, satisfies, scopeText, uid } from "./view-kit.js";

const PAGE = 100;
const REFRESH_MS = 15000;

/** Why this device may not approve `request`, or null when it may. */
export function approveBlocker(request, gateway) {
  if (request.deviceId === gateway.deviceId) return "This is this browser's own request: another device must approve it.";
  if (request.role === "node" && !satisfies(gateway.scopes, SCOPES.admin)) return "Approving a node needs operator.admin.";
  const missing = (request.requestedScopes ?? []).filter((scope) => !satisfies(gateway.scopes, scope));
  return missing.length ? `Approving grants ${missing.join(", ")}, which this browser does not hold.` : null;
}

/** Scopes a request adds on top of the approved baseline. */
export const addedScopes = (request) => (request.requestedScopes ?? []).filter((s) => !satisfies(request.approvedScopes ?? [], s));

export function mountPending(section, gateway) {
  const requests = new Map();
  const list = el("ul", { className: "cards", id: "pending-list", "aria-label": "Pending pairing requests", tabIndex: -1 });
  const empty = el("p", { className: "empty" }, "No pending requests.");
  // Arrivals and decisions are announced here, not by the list itself, whose countdowns change every second.
  const announce = el("p", { className: "sr-only", id: "pending-announce", "aria-live": "polite" });
  const body = el("div", {}, announce, empty, list);

  const render = () => {
    list.replaceChildren(...[...requests.values()].sort((a, b) => a.createdAtMs - b.createdAtMs).map(card));
    empty.hidden = requests.size > 0;
  };

  function card(request) {
    const added = addedScopes(request);
    const left = el("span", { className: "countdown", dataset: { expires: String(request.expiresAtMs) } }, formatLeft(request.expiresAtMs - Date.now()));
    const blocker = approveBlocker(request, gateway);
    const whyId = uid("why");
    const approve = el("button", { type: "button", className: "primary", disabled: !!blocker, "aria-describedby": blocker ? whyId : undefined, title: blocker ?? undefined }, "Approve");
    const reject = el("button", { type: "button" }, "Reject");
    approve.addEventListener("click", () => act(approve, () => gateway.call("device.pair.approve", { requestId: request.requestId })
      .then(() => remove(request.requestId, "approved"))).finally(() => { approve.disabled = !!approveBlocker(request, gateway); }));
    reject.addEventListener("click", () => act(reject, () => gateway.call("device.pair.reject", { requestId: request.requestId })
      .then(() => remove(request.requestId, "rejected"))));

    const title = el("h3", {}, `${request.clientId || "unnamed client"} `, el("span", { className: "reason" }, `(${request.reason})`));
    return el("li", { className: "card", dataset: { requestId: request.requestId, deviceId: request.deviceId } },
      title,
      el("dl", { className: "facts" },
        el("dt", {}, "Device"), el("dd", {}, el("code", {}, request.deviceId)),
        el("dt", {}, "Request"), el("dd", {}, el("code", {}, request.requestId)),
        el("dt", {}, "Role"), el("dd", {}, request.role),
        el("dt", {}, "Platform"), el("dd", {}, request.platform || "—"),
        el("dt", {}, "Requested scopes"), el("dd", { className: "requested" }, scopeText(request.requestedScopes)),
        el("dt", {}, "Approved scopes"), el("dd", { className: "approved" }, scopeText(request.approvedScopes)),
        request.reason === "scope-upgrade" || (request.approvedScopes?.length && added.length)
          ? [el("dt", {}, "Scopes added"), el("dd", { className: "diff" }, added.map((s) => el("ins", {}, `+ ${s}`)))]
          : null,
        el("dt", {}, "Requested at"), el("dd", {}, formatTime(request.createdAtMs)),
        el("dt", {}, "Expires in"), el("dd", {}, left)),
      el("p", { className: "actions" }, approve, " ", reject),
      blocker ? el("p", { className: "why", id: whyId }, blocker) : null);
  }

  const remove = (requestId, how = "resolved") => {
    const request = requests.get(requestId);
    if (!request || !requests.delete(requestId)) return;
    const hadFocus = list.contains(document.activeElement);
    announce.textContent = `Request from ${request.clientId || request.deviceId} ${how}.`;
    render();
    if (hadFocus) list.focus(); // its card and buttons are gone: keep the keyboard in the list
  };

  async function load() {
    const page = await gateway.call("device.pair.list", { limit: PAGE });
    // A complete list replaces what events told; a partial one (more than a page pending) only adds to it.
    if (!page.next) requests.clear();
    for (const request of page.pending ?? []) requests.set(request.requestId, request);
    render();
    view.status(page.next ? `More than ${PAGE} requests are pending; the oldest ${PAGE} and those announced since are shown.` : "");
  }

  const view = mountView(section, { gateway, body, needs: [SCOPES.pairing], load });

  // Announcements are rate-limited gateway-wide (§4.3), so the list is also read again now and then.
  setInterval(() => {
    if (gateway.state === "connected" && section.dataset.allowed === "true") load().catch(showError);
  }, REFRESH_MS);

  gateway.on("device.pair.requested", (request) => {
    if (section.dataset.allowed !== "true") return;
    // A new ask from the same device supersedes its older request.
    for (const [id, other] of requests) if (other.deviceId === request.deviceId) requests.delete(id);
    requests.set(request.requestId, request);
    announce.textContent = `New pairing request from ${request.clientId || request.deviceId} (${request.reason}).`;
    render();
  });
  gateway.on("device.pair.resolved", (resolved) => remove(resolved.requestId, resolved.decision));

  // The countdown ticks; an expired request drops off the list (the gateway refuses to decide it anyway).
  setInterval(() => {
    const now = Date.now();
    for (const [id, request] of requests) if (request.expiresAtMs <= now) requests.delete(id);
    for (const span of list.querySelectorAll(".countdown")) span.textContent = formatLeft(Number(span.dataset.expires) - now);
    if (list.children.length !== requests.size) render();
  }, 1000);
  return view;
}
