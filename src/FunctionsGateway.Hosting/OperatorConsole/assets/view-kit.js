// view-kit.js: what the four views share: building DOM from data (textContent only, never HTML), the scope table of
// docs/protocol.md §2, times, and mounting a view so that it loads on every (re)connect and says when this device's
// scopes do not allow it instead of failing silently.
import { showError } from "./errors.js";

export const SCOPES = Object.freeze({
  admin: "operator.admin", write: "operator.write", read: "operator.read", pairing: "operator.pairing", approvals: "operator.approvals",
});

/** `el("td", { className: "x", dataset: { id } }, "text", child)`: attributes are properties; children are text or nodes. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("aria-") || key === "role" || key === "for" || key === "scope") node.setAttribute(key, String(value));
    else node[key] = value;
  }
  node.append(...children.flat().filter((c) => c !== undefined && c !== null && c !== false).map((c) => (c instanceof Node ? c : String(c))));
  return node;
}

/** Whether scopes `held` satisfy `wanted` (§2): admin satisfies every operator scope, write satisfies read. */
export function satisfies(held, wanted) {
  if (held.includes(wanted)) return true;
  if (held.includes(SCOPES.admin) && wanted.startsWith("operator.")) return true;
  return wanted === SCOPES.read && held.includes(SCOPES.write);
}

let idCounter = 0;
/** A page-unique element id with a readable prefix. */
export const uid = (prefix) => `${prefix}-${++idCounter}`;

const clock = new Intl.DateTimeFormat(undefined, { dateStyle: "short", timeStyle: "medium" });
export const formatTime = (ms) => (Number.isFinite(ms) ? clock.format(new Date(ms)) : "—");

/** "4 min 05 s" left, or "expired". */
export function formatLeft(ms) {
  if (!(ms > 0)) return "expired";
  const seconds = Math.ceil(ms / 1000);
  const minutes = Math.floor(seconds / 60);
  return minutes ? `${minutes} min ${String(seconds % 60).padStart(2, "0")} s` : `${seconds} s`;
}

export const scopeText = (scopes) => (scopes?.length ? scopes.join(", ") : "none");

/**
 * Mounts a view into its section: replaces the placeholder with `body`, and on every change of the connection calls
 * `load()` once connected (the first time and after each reconnect) unless the device lacks `needs`, in which case
 * the section says which scope the view needs. Returns `{ status(text) }` to show a line under the heading.
 */
export function mountView(section, { gateway, needs, body, load, onDisconnected }) {
  const note = el("p", { className: "view-status", role: "status" });
  section.querySelector(".placeholder")?.remove();
  section.append(note, body);
  body.hidden = true;
  note.textContent = "Not connected.";
  let loading = null;

  const refresh = async () => {
    if (gateway.state !== "connected") return;
    const missing = needs.filter((scope) => !satisfies(gateway.scopes, scope));
    if (missing.length) {
      body.hidden = true;
      note.textContent = `This view needs ${missing.join(" and ")}; this browser holds ${scopeText(gateway.scopes)}.`;
      section.dataset.allowed = "false";
      return;
    }
    section.dataset.allowed = "true";
    body.hidden = false;
    note.textContent = "Loading…";
    loading = (async () => {
      try {
        await load();
        if (note.textContent === "Loading…") note.textContent = "";
        section.dataset.loaded = String(Date.now());
      } catch (error) {
        note.textContent = `Could not load: ${error?.code ?? "ERROR"}.`;
        showError(error);
      }
    })();
    await loading;
  };

  gateway.onState((info) => {
    if (info.state === "connected") refresh();
    else if (gateway.state !== "connected") {
      note.textContent = "Not connected; this view reloads once the console is connected again.";
      onDisconnected?.();
    }
  });
  return { refresh, status: (text) => { note.textContent = text; } };
}

/** Runs an action from a button, disabling it meanwhile; a failure is shown with its codes. */
export async function act(button, action) {
  if (button.disabled) return undefined;
  button.disabled = true;
  try {
    return await action();
  } catch (error) {
    showError(error);
    return undefined;
  } finally {
    button.disabled = false;
  }
}
