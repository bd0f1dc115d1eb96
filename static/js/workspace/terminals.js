// The tabbed terminals: open, type, resize, close, and re-attach after a reconnect.
// A terminal lives on the server and outlives the socket, so after every (re)connect
// the view asks terminal.list what exists and attaches to each one again.
import { RPC_NOT_FOUND } from "../core/api.js";
import { busy, byId, errorLine } from "../core/dom.js";
import { TerminalPane } from "./terminal-pane.js";

// What the mobile key bar sends: keys a phone keyboard does not have.
const KEYS = {
  escape: "\x1b", tab: "\t", "ctrl-c": "\x03", "ctrl-d": "\x04",
  up: "\x1b[A", down: "\x1b[B", right: "\x1b[C", left: "\x1b[D",
};

export class TerminalsView {
  constructor(app) {
    this.app = app;
    this.panes = new Map();  // terminalId -> TerminalPane
    this.order = [];  // every pane in tab order, including one still waiting for its terminalId
    // The opening socket is attached at once, so output can overtake terminal.open's answer.
    this.opening = 0;
    this.unclaimed = new Map();  // terminalId -> output that arrived before its terminalId did
    this.active = null;
    this.error = errorLine(byId("terminals-error"));
    this.tabs = byId("terminal-tabs");
    this.host = byId("terminal-panes");

    const rpc = app.rpc;
    rpc.addEventListener("terminal.output", (event) => this.onOutput(event.detail));
    rpc.addEventListener("terminal.exit", (event) => {
      const pane = this.panes.get(event.detail.terminalId);
      if (pane) this.exited(pane, event.detail.exitCode);
    });
    // The server stops sending to a socket that fell too far behind (a stalled tab during heavy
    // output); attaching again replaces the screen with the scrollback and continues live.
    rpc.addEventListener("terminal.detached", (event) => {
      const pane = this.panes.get(event.detail.terminalId);
      if (pane) this.attach(pane);
    });
    // Phones: the soft keyboard and rotation change the pane's size without a window resize event.
    new ResizeObserver(() => this.active?.fit()).observe(this.host);
    this.bindKeys();
  }

  shown() {
    this.active?.fit();
  }

  // Open a new terminal on the server at the size of the visible pane.
  async open({ projectId, cwd, command, label }) {
    this.app.showView("terminals");
    const pane = this.createPane(label);
    this.select(pane);
    this.opening += 1;
    try {
      const { terminalId } = await this.app.rpc.call("terminal.open", { projectId, cwd, command, ...pane.size() });
      this.register(pane, terminalId);
      pane.write((this.unclaimed.get(terminalId) || []).join(""));
      pane.focus();
    } catch (error) {
      this.remove(pane);
      throw error;
    } finally {
      this.opening -= 1;
      if (!this.opening) this.unclaimed.clear();
    }
  }

  createPane(label) {
    const taken = new Set(this.order.map((other) => other.label));
    let unique = label;
    for (let number = 2; taken.has(unique); number += 1) unique = `${label} ${number}`;
    const pane = new TerminalPane({
      label: unique,
      onSelect: (target) => { this.select(target); target.focus(); },
      onClose: (target) => this.close(target),
      onInput: (target, data) => this.send(target, data),
      onResize: (target, size) => this.app.rpc.call("terminal.resize", { terminalId: target.id, ...size })
        .catch((error) => this.error.show(error)),
    });
    pane.mount(this.tabs, this.host);
    this.order.push(pane);
    this.updateChrome();
    return pane;
  }

  register(pane, terminalId) {
    pane.setId(terminalId);
    this.panes.set(terminalId, pane);
    this.updateChrome();
  }

  // The PTY takes the size of the screen that looks at it: another device may have resized it.
  select(pane) {
    for (const other of this.order) other.setActive(other === pane);
    this.active = pane;
    if (pane.id && !pane.exited) pane.scheduleResize();
    this.updateChrome();
  }

  exited(pane, exitCode) {
    pane.markExited(exitCode);
    this.updateChrome();
  }

  onOutput({ terminalId, data }) {
    const pane = this.panes.get(terminalId);
    if (pane) pane.write(data);
    else if (this.opening) this.unclaimed.set(terminalId, [...(this.unclaimed.get(terminalId) || []), data]);
  }

  send(pane, data) {
    this.app.rpc.call("terminal.write", { terminalId: pane.id, data }).catch((error) => this.error.show(error));
  }

  // Closing an exited terminal still tells the server, which keeps it listed until then.
  async close(pane) {
    if (pane.id) {
      try {
        await this.app.rpc.call("terminal.close", { terminalId: pane.id });
      } catch (error) {
        if (error.code !== RPC_NOT_FOUND) {
          this.error.show(error);
          return;
        }
      }
    }
    this.remove(pane);
  }

  remove(pane) {
    const index = this.order.indexOf(pane);
    this.order.splice(index, 1);
    this.panes.delete(pane.id);
    pane.dispose();
    if (this.active === pane) {
      this.active = null;
      if (this.order.length) this.select(this.order[Math.min(index, this.order.length - 1)]);
    }
    this.updateChrome();
  }

  // After every (re)connect: attach to each terminal the server still has (ours and ones
  // opened before this page loaded), and say so for ours that are gone.
  async reattach() {
    let terminals;
    try {
      ({ terminals } = await this.app.rpc.call("terminal.list"));
    } catch (error) {
      this.error.show(error);
      return;
    }
    this.error.clear();
    const listed = new Set(terminals.map((terminal) => terminal.terminalId));
    for (const [terminalId, pane] of this.panes) {
      if (!listed.has(terminalId)) this.exited(pane, null);
    }
    for (const terminal of terminals) {
      let pane = this.panes.get(terminal.terminalId);
      if (!pane) {
        if (terminal.exited) continue;
        pane = this.createPane(this.labelFor(terminal));
        this.register(pane, terminal.terminalId);
        if (!this.active) this.select(pane);
      }
      this.attach(pane);
    }
  }

  async attach(pane) {
    pane.holdOutput();
    try {
      const result = await this.app.rpc.call("terminal.attach", { terminalId: pane.id });
      pane.replaceWith(result.scrollback);
      if (result.exited) this.exited(pane, result.exitCode);
    } catch (error) {
      pane.releaseHeld();
      this.error.show(error);
      return;
    }
    if (pane === this.active && !pane.exited) pane.scheduleResize();
  }

  labelFor(terminal) {
    const project = this.app.projects.find(terminal.projectId);
    const place = project ? project.title : (terminal.cwd || "").split(/[\\/]/).filter(Boolean).pop() || "terminal";
    return `${place} · ${commandOf(terminal.command)}`;
  }

  updateChrome() {
    const count = this.order.length;
    byId("terminal-count").textContent = count ? `(${count})` : "";
    byId("terminals-empty").hidden = count > 0;
    byId("terminal-keys").hidden = count === 0;
    byId("terminal-line").hidden = count === 0;
    // An exited terminal takes no input: its keys and line wait for a live one (the server would
    // answer "no such terminal").
    const live = !this.active?.exited;
    for (const control of byId("terminal-keys").querySelectorAll("button")) control.disabled = !live;
    for (const control of byId("terminal-line").querySelectorAll("input, button")) control.disabled = !live;
    byId("terminal-line-input").placeholder = live
      ? "Type a line to send" : "This terminal has exited: open a new one from its project";
  }

  bindKeys() {
    byId("terminal-keys").addEventListener("click", (event) => {
      const key = event.target.closest("[data-key]")?.dataset.key;
      if (key && this.active?.id) this.send(this.active, KEYS[key]);
    });
    // A plain text field is friendlier to phone keyboards (autocomplete, dictation) than xterm's hidden textarea.
    const form = byId("terminal-line");
    const input = byId("terminal-line-input");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!this.active?.id) return;
      busy(event.submitter || form.querySelector("button"), this.error, async () => {
        await this.app.rpc.call("terminal.write", { terminalId: this.active.id, data: `${input.value}\r` });
        input.value = "";
      });
    });
  }
}

// terminal.list gives the argv. The server runs a command line as [shell, "-lc", line], and an argv
// client may send [shell, "-c", line] itself: either way the line, not the shell, is what was asked for.
const SHELL_LINE_FLAGS = new Set(["-c", "-lc"]);

// A terminal opened with no command runs the user's shell alone (`$SHELL -l`): its tab says "shell",
// before and after a reattach, whichever shell that is.
const SHELLS = new Set(["sh", "bash", "zsh", "fish", "dash", "ksh", "tcsh", "csh"]);
const SHELL_ALONE_FLAGS = new Set(["-l", "--login", "-i"]);

function commandOf(argv) {
  if (!argv || !argv.length) return "shell";
  if (SHELL_LINE_FLAGS.has(argv[1]) && argv[2]?.trim()) return argv[2].trim();
  const program = argv[0].split("/").pop();
  const alone = argv.length === 1 || (argv.length === 2 && SHELL_ALONE_FLAGS.has(argv[1]));
  return alone && SHELLS.has(program) ? "shell" : program;
}
