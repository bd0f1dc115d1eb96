// The Agents tab of a project: start an agent, list the project's sessions, and hold one conversation.
// A session lives on the server: the panel attaches to it, replaying every update it has not seen
// (by sequence number), and attaches again after every reconnect, so a phone that slept misses nothing.
import { busy, byId, el, errorLine } from "../core/dom.js";
import { ConversationView } from "./conversation.js";

// How far above the bottom a reader may be and still have the conversation follow new updates.
const FOLLOW_SLACK_PX = 160;
const STATE_TEXT = { starting: "starting", idle: "ready", working: "working…", ended: "ended" };

export class AgentsPanel {
  constructor(app) {
    this.app = app;
    this.project = null;
    this.sessionId = null;
    this.session = null;
    this.seq = 0;
    this.attaching = null;  // live updates that arrive while an attach is answered wait here
    this.error = errorLine(byId("agents-error"));
    this.talkError = errorLine(byId("agent-error"));
    this.view = new ConversationView(byId("agent-stream"), { onTerminal: (id) => this.watchTerminal(id) });

    const rpc = app.rpc;
    rpc.addEventListener("agents.update", (event) => this.onUpdate(event.detail));
    rpc.addEventListener("agents.permission", (event) => this.mine(event) && this.ask(event.detail));
    rpc.addEventListener("agents.resolved", (event) => this.mine(event) && this.resolved(event.detail.requestId));
    rpc.addEventListener("agents.state", (event) => this.mine(event) && this.showState(event.detail));
    rpc.addEventListener("agents.exit", (event) => this.mine(event) && this.exited(event.detail.reason));
    rpc.addEventListener("state", (event) => event.detail === "open" && this.reconnected());
    this.bind();
  }

  mine(event) {
    return event.detail.sessionId === this.sessionId;
  }

  bind() {
    byId("agent-start").addEventListener("submit", (event) => {
      event.preventDefault();
      busy(event.submitter, this.error, () => this.start(byId("agent-choice").value));
    });
    byId("agent-back").addEventListener("click", () => this.showHome());
    byId("agent-close").addEventListener("click", (event) => busy(event.currentTarget, this.talkError,
      () => this.app.rpc.call("agents.close", { sessionId: this.sessionId })));
    byId("agent-cancel").addEventListener("click", (event) => busy(event.currentTarget, this.talkError,
      () => this.app.rpc.call("agents.cancel", { sessionId: this.sessionId })));
    const prompt = byId("agent-prompt");
    byId("agent-composer").addEventListener("submit", (event) => {
      event.preventDefault();
      this.send(prompt);
    });
    // Ctrl/Cmd+Enter sends; Enter alone is a new line (a phone keyboard has no other way to make one).
    prompt.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) byId("agent-composer").requestSubmit();
    });
  }

  // A project was opened: its panel starts at the list of sessions, loaded when the tab is shown.
  reset(project) {
    this.project = project;
    this.sessionId = null;
    byId("agent-conversation").hidden = true;
    byId("agents-home").hidden = false;
  }

  shown() {
    if (!this.sessionId) this.showHome();
  }

  async showHome() {
    this.reset(this.project);
    this.error.clear();
    await Promise.all([this.loadAgents(), this.loadSessions()]);
  }

  async loadAgents() {
    if (!this.app.can("terminal")) return;
    try {
      this.agents ??= (await this.app.rpc.call("agents.list")).agents;
    } catch (error) {
      this.error.show(error);
      return;
    }
    const available = this.agents.filter((agent) => agent.available);
    byId("agent-choice").replaceChildren(...this.agents.map((agent) => el("option",
      { value: agent.id, disabled: !agent.available, title: agent.command },
      agent.available ? agent.name : `${agent.name} (not installed)`)));
    if (available.length) byId("agent-choice").value = available[0].id;
    byId("agent-start-go").disabled = !available.length;
    byId("agent-start-note").textContent = available.length ? ""
      : "No agent is installed on the server. docs/agents.md says how to install one.";
  }

  async loadSessions() {
    let sessions;
    try {
      ({ sessions } = await this.app.rpc.call("agents.sessions", { projectId: this.project.id }));
    } catch (error) {
      this.error.show(error);
      return;
    }
    byId("agent-sessions-empty").hidden = sessions.length > 0;
    byId("agent-sessions").replaceChildren(...sessions.map((session) => el("li", {},
      el("button", { type: "button", class: "row-button", dataset: { sessionId: session.sessionId },
        onclick: () => this.open(session.sessionId) },
        el("span", { class: "row-title" }, session.title),
        el("span", { class: "row-sub" },
          `${session.agentName} · ${STATE_TEXT[session.state] || session.state} · ${when(session.updatedAt)}`)))));
  }

  async start(agentId) {
    const { sessionId } = await this.app.rpc.call("agents.start", { projectId: this.project.id, agentId });
    await this.open(sessionId);
    byId("agent-prompt").focus();
  }

  async open(sessionId) {
    this.sessionId = sessionId;
    this.session = null;
    this.seq = 0;
    this.view.reset(this.project?.path);
    byId("agent-permissions").replaceChildren();
    this.talkError.clear();
    byId("agents-home").hidden = true;
    byId("agent-conversation").hidden = false;
    await this.attach();
  }

  async attach() {
    const sessionId = this.sessionId;
    this.attaching = [];
    let result;
    try {
      result = await this.app.rpc.call("agents.attach", { sessionId, after: this.seq });
    } catch (error) {
      this.attaching = null;
      this.talkError.show(error);
      return;
    }
    if (sessionId !== this.sessionId) return;
    const held = this.attaching;
    this.attaching = null;
    // The answer holds the updates after this.seq up to result.seq; what came live meanwhile follows.
    result.updates.forEach((update, index) => this.apply(update, result.seq - result.updates.length + index + 1));
    for (const { update, seq } of held) this.apply(update, seq);
    byId("agent-permissions").replaceChildren();
    for (const request of result.permissions) this.ask(request);
    this.showState(result.session);
  }

  reconnected() {
    if (this.sessionId) this.attach();
    else if (this.project && !byId("panel-agents").hidden) this.loadSessions();
  }

  onUpdate({ sessionId, update, seq }) {
    if (sessionId !== this.sessionId) return;
    if (this.attaching) this.attaching.push({ update, seq });
    else this.apply(update, seq);
  }

  // Each update once, in order: one already drawn (from a replay that overlapped the stream) is skipped.
  // The newest update stays in sight, unless the reader scrolled up to read something earlier.
  apply(update, seq) {
    if (seq <= this.seq) return;
    const page = document.scrollingElement;
    const following = page.scrollHeight - page.scrollTop - page.clientHeight <= FOLLOW_SLACK_PX;
    this.view.add(update);
    this.seq = seq;
    // After the view's own redraw in the same frame, when the update has its height.
    if (following) requestAnimationFrame(() => { page.scrollTop = page.scrollHeight; });
  }

  showState(session) {
    this.session = { ...this.session, ...session };
    byId("agent-title").textContent = session.title || this.session.title || "";
    const state = session.state;
    const pill = byId("agent-state");
    pill.textContent = STATE_TEXT[state] || state;
    pill.dataset.kind = state === "ended" ? "bad" : state === "working" ? "warn" : "good";
    byId("agent-cancel").hidden = state !== "working";
    byId("agent-send").disabled = state === "working" || (state === "ended" && !this.session.canLoad);
    byId("agent-close").hidden = state === "ended" || !this.app.can("terminal");
    byId("agent-ended").hidden = state !== "ended";
    byId("agent-ended").textContent = state === "ended"
      ? `This session ended${this.session.endReason ? `: ${this.session.endReason}` : "."}${
        this.session.canLoad ? " Send a prompt to continue it." : ""}`
      : "";
  }

  exited(reason) {
    this.showState({ state: "ended", endReason: reason });
    byId("agent-permissions").replaceChildren();
  }

  async send(prompt) {
    const text = prompt.value.trim();
    if (!text) return;
    prompt.value = "";
    this.talkError.clear();
    try {
      await this.app.rpc.call("agents.prompt", { sessionId: this.sessionId, text });
    } catch (error) {
      // The connection dropped after the prompt left: the turn goes on on the server, and the replay
      // after the reconnect shows it. Otherwise nothing was said: keep what was typed.
      if (error.message === "connection closed") return;
      if (!prompt.value) prompt.value = text;
      this.talkError.show(error);
    }
  }

  // A permission request: the tool call's title and one big button per option.
  ask({ requestId, toolCall, options }) {
    const card = el("div", { class: "permission", dataset: { requestId }, role: "group", "aria-label": "Permission" },
      el("p", { class: "permission-question" }, el("strong", {}, "Allow? "), this.view.toolTitle(toolCall)),
      el("div", { class: "permission-options" }, options.map((option) => el("button", {
        type: "button",
        class: option.kind?.startsWith("allow") ? "primary" : "danger",
        dataset: { optionId: option.optionId },
        disabled: !this.app.can("terminal"),
        onclick: (event) => busy(event.currentTarget, this.talkError, () => this.app.rpc.call("agents.respond",
          { sessionId: this.sessionId, requestId, optionId: option.optionId })),
      }, option.name))));
    byId("agent-permissions").append(card);
  }

  resolved(requestId) {
    byId("agent-permissions").querySelector(`[data-request-id="${CSS.escape(requestId)}"]`)?.remove();
  }

  // A terminal the agent runs is a server terminal: show it in the Terminals tab.
  async watchTerminal(terminalId) {
    await this.app.terminals.reattach();
    this.app.showView("terminals");
    const pane = this.app.terminals.panes.get(terminalId);
    if (pane) this.app.terminals.select(pane);
  }
}

function when(iso) {
  return iso ? new Date(iso).toLocaleString([], { dateStyle: "short", timeStyle: "short" }) : "";
}
