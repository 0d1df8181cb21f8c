// view-sessions.js: sessions and their sub-agents (sessions.list, sessions.get, sessions.subscribe; live via
// subagent.spawned, run.status, subagent.completed, subagent.deleted, chat), and a spawn form (sessions.spawn). A
// watched session's children move accepted → queued → running → completed as events arrive; a child spawned with
// cleanup "delete" leaves the view on subagent.deleted (a reload after a reconnect reads "deleted" from sessions.get).
import { SCOPES, act, el, formatTime, mountView, satisfies, uid } from "./view-kit.js";

const ORDER = ["accepted", "queued", "running"];
const CHAT_KEPT = 5;

/** The child's status to show: a spawning child shows how far its run got; otherwise where it ended. */
const shownStatus = (child) => (child.status === "spawning" ? child.runStatus ?? "accepted" : child.status);
/** Never step back: events and a sessions.get answer may arrive in either order. */
function later(was, now) {
  if (!was || now === "deleted") return now;
  if (!ORDER.includes(was)) return was; // an end status stays
  return !ORDER.includes(now) || ORDER.indexOf(now) > ORDER.indexOf(was) ? now : was;
}

export function mountSessions(section, gateway) {
  const watched = new Map(); // sessionKey → { children: Map(runId → child), chat: [] }
  const form = spawnForm();
  const sessionRows = el("tbody");
  const noSessions = el("p", { className: "empty", hidden: true }, "No stored sessions yet.");
  const watchedArea = el("div", { id: "watched-sessions" });
  const announce = el("p", { className: "sr-only", "aria-live": "polite" });
  const body = el("div", {}, form.element,
    el("h3", {}, "Watched sessions"), announce, el("p", { className: "help" }, "Spawning from a session watches it; so does its Watch button below."), watchedArea,
    el("h3", {}, "Stored sessions"),
    el("table", { className: "grid", id: "sessions-table" },
      el("caption", { className: "sr-only" }, "Stored sessions, newest first"),
      el("thead", {}, el("tr", {}, ["Session", "Label", "Spawned by", "Depth", "Children (active / all)", "Created", "Actions"].map((h) => el("th", { scope: "col" }, h)))),
      sessionRows),
    noSessions);

  function spawnForm() {
    const ids = { key: uid("spawn-key"), task: uid("spawn-task"), label: uid("spawn-label"), cleanup: uid("spawn-cleanup"), why: uid("why") };
    const key = el("input", { type: "text", id: ids.key, name: "sessionKey", value: "agent:main:main", required: true, autocomplete: "off" });
    const task = el("textarea", { id: ids.task, name: "task", required: true, rows: 2 });
    const label = el("input", { type: "text", id: ids.label, name: "label", autocomplete: "off", maxLength: 128 });
    const cleanup = el("select", { id: ids.cleanup, name: "cleanup" }, el("option", { value: "keep" }, "keep"), el("option", { value: "delete" }, "delete"));
    const submit = el("button", { type: "submit", id: "spawn-submit" }, "Spawn sub-agent");
    const why = el("p", { className: "why", id: ids.why, hidden: true });
    const element = el("form", { id: "spawn-form", noValidate: true },
      el("fieldset", {}, el("legend", {}, "Spawn a sub-agent"),
        el("p", {}, el("label", { for: ids.key }, "Requester session key"), key),
        el("p", {}, el("label", { for: ids.task }, "Task"), task),
        el("p", {}, el("label", { for: ids.label }, "Label (optional)"), label),
        el("p", {}, el("label", { for: ids.cleanup }, "After the run"), cleanup),
        submit, why));
    element.addEventListener("submit", (event) => {
      event.preventDefault();
      act(submit, async () => {
        const params = { sessionKey: key.value.trim(), task: task.value, cleanup: cleanup.value, ...(label.value.trim() ? { label: label.value.trim() } : {}) };
        await watch(params.sessionKey);
        const accepted = await gateway.call("sessions.spawn", params);
        upsertChild(params.sessionKey, { childSessionKey: accepted.childSessionKey, runId: accepted.runId, status: "spawning", runStatus: accepted.status, label: params.label, cleanup: params.cleanup });
      }).finally(() => allow());
    });
    const allow = () => {
      const blocked = satisfies(gateway.scopes, SCOPES.write) ? null : "Spawning needs operator.write.";
      submit.disabled = !!blocked;
      why.hidden = !blocked;
      why.textContent = blocked ?? "";
      if (blocked) submit.setAttribute("aria-describedby", ids.why); else submit.removeAttribute("aria-describedby");
    };
    return { element, allow };
  }

  /** Joins the session's event group, then reads its children; a key the gateway refuses is not watched. */
  async function watch(sessionKey) {
    await gateway.call("sessions.subscribe", { sessionKey });
    if (!watched.has(sessionKey)) watched.set(sessionKey, { children: new Map(), chat: [] });
    await refreshSession(sessionKey);
  }

  async function refreshSession(sessionKey) {
    const entry = watched.get(sessionKey);
    if (!entry) return;
    const answer = await gateway.call("sessions.get", { sessionKey });
    for (const child of answer.children ?? []) upsertChild(sessionKey, child, true);
  }

  function upsertChild(sessionKey, child, fromGet = false) {
    const entry = watched.get(sessionKey);
    if (!entry) return;
    const known = entry.children.get(child.runId);
    const merged = { ...known, ...Object.fromEntries(Object.entries(child).filter(([, v]) => v !== undefined)) };
    merged.shown = child.status === "deleted" ? "deleted" : later(known?.shown, shownStatus(merged));
    if (fromGet && known && child.status === "spawning") merged.output = known.output;
    entry.children.set(child.runId, merged);
    renderWatched();
  }

  function renderWatched() {
    watchedArea.replaceChildren(...[...watched].map(([sessionKey, entry]) => {
      const children = [...entry.children.values()].filter((c) => c.shown !== "deleted").sort((a, b) => (a.createdAtMs ?? Infinity) - (b.createdAtMs ?? Infinity));
      const headingId = uid("watched");
      return el("section", { className: "watched", dataset: { sessionKey }, "aria-labelledby": headingId },
        el("h4", { id: headingId }, el("code", {}, sessionKey)),
        children.length ? el("table", { className: "grid children" },
          el("caption", { className: "sr-only" }, `Sub-agents of ${sessionKey}`),
          el("thead", {}, el("tr", {}, ["Sub-agent", "Label", "Run", "Status", "Output"].map((h) => el("th", { scope: "col" }, h)))),
          el("tbody", {}, children.map((c) => el("tr", { dataset: { runId: c.runId, childSessionKey: c.childSessionKey } },
            el("th", { scope: "row" }, el("code", {}, c.childSessionKey)),
            el("td", { className: "label" }, c.label ?? "—"),
            el("td", {}, el("code", {}, c.runId)),
            el("td", { className: "status", dataset: { status: c.shown } }, c.shown, c.deleting ? " (deleting…)" : ""),
            el("td", { className: "output" }, c.error ?? c.output ?? ""))))) : el("p", { className: "empty" }, "No sub-agents."),
        entry.chat.length ? el("ul", { className: "chat", "aria-label": `Latest chat of ${sessionKey}` },
          entry.chat.map((m) => el("li", {}, el("span", { className: "help" }, `${m.role} · ${formatTime(m.ts)} `), m.text))) : null);
    }));
  }

  async function loadList() {
    const { sessions } = await gateway.call("sessions.list", { limit: 20 });
    noSessions.hidden = (sessions ?? []).length > 0;
    sessionRows.replaceChildren(...(sessions ?? []).map((s) => {
      const button = el("button", { type: "button", className: "small", "aria-label": `Watch ${s.sessionKey}` }, "Watch");
      button.addEventListener("click", () => act(button, () => watch(s.sessionKey)));
      return el("tr", { dataset: { sessionKey: s.sessionKey } },
        el("th", { scope: "row" }, el("code", {}, s.sessionKey)), el("td", {}, s.label ?? "—"),
        el("td", {}, s.spawnedBy ? el("code", {}, s.spawnedBy) : "—"), el("td", {}, String(s.depth)),
        el("td", {}, `${s.activeChildren} / ${s.lifetimeChildren}`), el("td", {}, formatTime(s.createdAtMs)), el("td", {}, button));
    }));
  }

  const view = mountView(section, {
    gateway, body, needs: [SCOPES.read],
    // Subscriptions belong to a connection: after a reconnect, join every watched session's group again.
    load: async () => {
      form.allow();
      await Promise.all([loadList(), ...[...watched.keys()].map(watch)]);
    },
  });

  gateway.on("subagent.spawned", (e) => upsertChild(e.requesterSessionKey, { childSessionKey: e.childSessionKey, runId: e.runId, status: "spawning", runStatus: e.status, label: e.label, cleanup: e.cleanup }));
  gateway.on("run.status", (e) => {
    if (!e.requesterSessionKey) return;
    const child = { runId: e.runId, childSessionKey: e.sessionKey, output: e.output, error: e.error };
    if (ORDER.includes(e.status)) Object.assign(child, { status: "spawning", runStatus: e.status }); else child.status = e.status;
    upsertChild(e.requesterSessionKey, child);
  });
  gateway.on("subagent.completed", (e) => {
    const deleting = e.cleanup === "delete";
    if (watched.has(e.requesterSessionKey)) announce.textContent = `Sub-agent ${e.label ?? e.childSessionKey} ${e.status}.`;
    upsertChild(e.requesterSessionKey, { childSessionKey: e.childSessionKey, runId: e.runId, status: e.status, output: e.output, error: e.error, cleanup: e.cleanup, deleting });
  });
  gateway.on("subagent.deleted", (e) => upsertChild(e.requesterSessionKey, { childSessionKey: e.childSessionKey, runId: e.runId, status: "deleted" }));
  gateway.on("chat", (e) => {
    const entry = watched.get(e.sessionKey);
    if (!entry || !e.message) return;
    entry.chat = [...entry.chat, e.message].slice(-CHAT_KEPT);
    renderWatched();
  });
  return view;
}
