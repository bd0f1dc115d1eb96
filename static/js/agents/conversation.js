// The conversation as it streams: each ACP session/update placed where it belongs.
// Consecutive message chunks grow one message (its Markdown redrawn once per frame); thoughts
// fold away; tool calls are cards updated in place; a plan is a checklist, replaced by the
// agent's next plan within a turn. Updates that only describe the session (commands, modes,
// usage) are not part of the conversation and are not drawn.
import { el } from "../core/dom.js";
import { renderMarkdown } from "./markdown.js";
import { ToolCard } from "./tool-card.js";

const CHUNKS = {
  user_message_chunk: { class: "message user", label: "You" },
  agent_message_chunk: { class: "message agent", label: "Agent" },
  agent_thought_chunk: { class: "thought", label: "Thinking" },
};
const PLAN_MARKS = { completed: "☑", in_progress: "◐", pending: "☐" };

export class ConversationView {
  constructor(list, { onTerminal }) {
    this.list = list;
    this.onTerminal = onTerminal;
    this.reset(null);
  }

  reset(root) {
    this.root = root;
    this.list.replaceChildren();
    this.group = null;  // the message being streamed: { kind, node, body, text }
    this.tools = new Map();  // toolCallId -> ToolCard
    this.plan = null;
    this.dirty = new Set();
  }

  add(update) {
    const kind = update.sessionUpdate;
    if (CHUNKS[kind]) return this.chunk(kind, update.content || {});
    this.group = null;
    if (kind === "tool_call" || kind === "tool_call_update") return this.tool(update);
    if (kind === "plan") return this.showPlan(update.entries || []);
    return undefined;
  }

  chunk(kind, content) {
    if (kind === "user_message_chunk" && this.group?.kind !== kind) this.plan = null;  // a new turn
    if (this.group?.kind !== kind) this.group = this.startGroup(kind);
    this.group.text += content.type === "text" ? content.text : `[${content.type}]`;
    this.dirty.add(this.group);
    if (this.dirty.size === 1) requestAnimationFrame(() => this.redraw());
  }

  startGroup(kind) {
    const { class: className, label } = CHUNKS[kind];
    const body = el("div", { class: "markdown" });
    const node = kind === "agent_thought_chunk"
      ? el("li", { class: className }, el("details", {}, el("summary", {}, label), body))
      : el("li", { class: className, "aria-label": label }, body);
    this.list.append(node);
    return { kind, node, body, text: "" };
  }

  redraw() {
    for (const group of this.dirty) {
      // The user's own words are shown as typed; the agent's are Markdown.
      if (group.kind === "user_message_chunk") group.body.textContent = group.text;
      else renderMarkdown(group.body, group.text);
    }
    this.dirty.clear();
  }

  tool(update) {
    let card = this.tools.get(update.toolCallId);
    if (!card) {
      card = new ToolCard({ root: this.root, onTerminal: this.onTerminal });
      this.tools.set(update.toolCallId, card);
      this.list.append(card.node);
    }
    card.update(update);
  }

  // The title a permission request shows: the call's own, as the agent last described it.
  toolTitle(toolCall) {
    return this.tools.get(toolCall.toolCallId)?.call.title || toolCall.title || "The agent wants to go on";
  }

  showPlan(entries) {
    if (!this.plan) {
      this.plan = el("li", { class: "plan" });
      this.list.append(this.plan);
    }
    this.plan.replaceChildren(
      el("div", { class: "plan-head" }, "Plan"),
      el("ul", { class: "checklist" }, entries.map((entry) => el("li", { dataset: { status: entry.status } },
        el("span", { class: "mark", "aria-hidden": "true" }, PLAN_MARKS[entry.status] || "☐"),
        el("span", { class: "visually-hidden" }, `${entry.status.replace("_", " ")}: `),
        entry.content))),
    );
  }
}
