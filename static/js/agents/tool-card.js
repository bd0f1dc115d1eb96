// A tool call as a card: what kind of thing the agent does, its status, the files it touches,
// and what it shows (text, a diff, a terminal). ACP sends the call once (tool_call) and then only
// what changed (tool_call_update), so the card keeps the fields merged and redraws itself.
import { el } from "../core/dom.js";
import { diffLines, linesOf } from "./diff.js";
import { renderMarkdown } from "./markdown.js";

const STATUS_TEXT = { pending: "waiting", in_progress: "running", completed: "done", failed: "failed" };

export class ToolCard {
  // root: the project folder, so paths inside it are shown relative to it.
  // onTerminal(terminalId): what "Watch" does for a terminal the agent runs.
  constructor({ root, onTerminal }) {
    this.root = root;
    this.onTerminal = onTerminal;
    this.call = {};
    this.node = el("li", { class: "tool" });
  }

  update(fields) {
    for (const [name, value] of Object.entries(fields)) {
      if (value !== undefined && value !== null && name !== "sessionUpdate") this.call[name] = value;
    }
    this.render();
  }

  render() {
    const { kind = "other", title = "Tool call", status = "pending", locations = [], content = [] } = this.call;
    this.node.dataset.status = status;
    this.node.dataset.toolCallId = this.call.toolCallId;
    // replaceChildren takes nodes, not arrays: the card's parts are gathered (and blanks dropped) by el().
    this.node.replaceChildren(...el("div", {},
      el("div", { class: "tool-head" },
        el("span", { class: "tool-kind" }, kind.replace("_", " ")),
        el("span", { class: "tool-title" }, title),
        el("span", { class: "tool-status" }, STATUS_TEXT[status] || status)),
      locations.length ? el("ul", { class: "tool-locations" }, locations.map((place) =>
        el("li", { class: "path" }, this.shown(place.path) + (place.line ? `:${place.line}` : "")))) : null,
      content.map((part) => this.part(part)),
    ).childNodes);
  }

  part(part) {
    if (part.type === "diff") return diffBlock(this.shown(part.path), part.oldText, part.newText);
    if (part.type === "terminal") {
      return el("div", { class: "tool-terminal" }, "Runs in a terminal ",
        el("button", { type: "button", class: "quiet", onclick: () => this.onTerminal(part.terminalId) }, "Watch"));
    }
    const block = part.content || {};
    if (block.type === "text") {
      const text = el("div", { class: "markdown" });
      renderMarkdown(text, block.text);
      return text;
    }
    return el("p", { class: "muted" }, `[${block.type || part.type}]`);
  }

  shown(path = "") {
    return this.root && path.startsWith(`${this.root}/`) ? path.slice(this.root.length + 1) : path;
  }
}

function diffBlock(path, oldText, newText) {
  const lines = diffLines(linesOf(oldText), linesOf(newText));
  return el("div", { class: "tool-diff" },
    el("div", { class: "path diff-file" }, oldText === null || oldText === undefined ? `${path} (new)` : path),
    el("pre", { class: "code diff" }, lines.map(([sign, line]) =>
      el("span", { class: sign === "+" ? "diff-add" : sign === "-" ? "diff-del" : "" }, `${sign} ${line}\n`))));
}
