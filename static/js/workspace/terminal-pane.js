// One server terminal shown with xterm.js: its tab, its pane, its size.
import { FitAddon } from "@xterm/addon-fit";
import { Terminal } from "@xterm/xterm";
import { el } from "../core/dom.js";

// Enough to scroll back through an agent's answer; the server keeps its own scrollback for re-attach.
const SCROLLBACK_LINES = 5000;
const RESIZE_DEBOUNCE_MS = 120;

export class TerminalPane {
  constructor({ label, onSelect, onClose, onInput, onResize }) {
    this.id = null;
    this.label = label;
    this.exited = false;
    this.held = null;  // output that arrived while re-attaching, shown after the scrollback
    this.typedEarly = [];  // keys typed before the server named the terminal, sent once it has
    this.onInput = onInput;
    this.onResize = onResize;

    this.term = new Terminal({
      scrollback: SCROLLBACK_LINES,
      cursorBlink: true,
      fontFamily: 'ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace',
      fontSize: 14,
      theme: { background: "#111111" },
    });
    this.fitAddon = new FitAddon();
    this.term.loadAddon(this.fitAddon);
    this.term.onData((data) => {
      if (this.exited) return;
      if (this.id) this.onInput(this, data);
      else this.typedEarly.push(data);
    });
    this.term.onResize(() => this.scheduleResize());

    this.tabLabel = el("span", { class: "tab-label" }, label);
    this.tab = el("button", { type: "button", role: "tab", class: "terminal-tab", "aria-selected": "false", onclick: () => onSelect(this) }, this.tabLabel);
    this.closeButton = el("button", { type: "button", class: "tab-close", "aria-label": `Close terminal ${label}`, onclick: () => onClose(this) }, "×");
    this.tabGroup = el("span", { class: "tab-group" }, this.tab, this.closeButton);
    this.pane = el("div", { class: "terminal-pane", role: "tabpanel", hidden: true });
    this.host = el("div", { class: "terminal-host" });
    this.pane.append(this.host);
  }

  mount(tabs, panes) {
    tabs.append(this.tabGroup);
    panes.append(this.pane);
  }

  setId(id) {
    this.id = id;
    this.pane.dataset.terminalId = id;
    this.tab.id = `terminal-tab-${id}`;
    this.pane.id = `terminal-pane-${id}`;
    this.tab.setAttribute("aria-controls", this.pane.id);
    this.pane.setAttribute("aria-labelledby", this.tab.id);
    if (this.typedEarly.length) this.onInput(this, this.typedEarly.join(""));
    this.typedEarly = [];
  }

  setActive(active) {
    this.tab.setAttribute("aria-selected", String(active));
    this.pane.hidden = !active;
    this.pane.classList.toggle("active", active);
    if (!active) return;
    this.fit();
    this.tab.scrollIntoView({ block: "nearest", inline: "nearest" });
  }

  // Fit the terminal to its pane. xterm measures its cells when it opens, so it opens
  // the first time its pane is really on screen (not while the Terminals view is hidden);
  // what was written before is kept and drawn then.
  fit() {
    if (this.host.offsetParent === null) return;
    if (!this.term.element) {
      this.term.open(this.host);
      this.scheduleResize();  // even if the fit keeps xterm's default size, the PTY may differ
    }
    this.fitAddon.fit();
  }

  size() {
    return { cols: this.term.cols, rows: this.term.rows };
  }

  // Many resize events during a rotation or a drag become one terminal.resize.
  // Until xterm has opened (and measured), its size is a default, not this screen's.
  scheduleResize() {
    clearTimeout(this.resizeTimer);
    this.resizeTimer = setTimeout(() => {
      if (this.id && !this.exited && this.term.element) this.onResize(this, this.size());
    }, RESIZE_DEBOUNCE_MS);
  }

  write(data) {
    if (this.held) this.held.push(data);
    else this.term.write(data);
  }

  // Re-attaching replaces what is shown with the server's scrollback, so nothing repeats.
  // The server joins the socket to the live output in the same step as it reads the
  // scrollback, so output that overtakes the answer comes after the scrollback.
  holdOutput() {
    this.held = [];
  }

  replaceWith(scrollback) {
    this.term.reset();
    this.term.write(scrollback);
    this.releaseHeld();
  }

  releaseHeld() {
    const held = this.held || [];
    this.held = null;
    this.term.write(held.join(""));
  }

  markExited(exitCode) {
    if (this.exited) return;
    this.exited = true;
    this.tabGroup.classList.add("exited");
    this.tabLabel.textContent = `${this.label} (exited)`;
    this.term.write(`\r\n\x1b[2m[process exited${exitCode === null || exitCode === undefined ? "" : ` with code ${exitCode}`}]\x1b[0m\r\n`);
  }

  focus() {
    this.term.focus();
  }

  dispose() {
    clearTimeout(this.resizeTimer);
    this.term.dispose();
    this.tabGroup.remove();
    this.pane.remove();
  }
}
