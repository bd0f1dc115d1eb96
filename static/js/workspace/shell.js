// The workspace app: who this device is, one live socket to one backend, and the views.
// The backend is a parameter so the same code can drive another saved environment
// (a base URL plus a bearer token), one this server relays to (core/api.js RelayBackend), as well
// as this server through its cookie.
import { CLOSE_SESSION_ENDED, RpcSocket } from "../core/api.js";
import { byId, el, selectTab } from "../core/dom.js";
import { pageUrl } from "../core/urls.js";
import { sentence } from "../environments/relay.js";
import { FolderPicker } from "./picker.js";
import { ProjectView } from "./project.js";
import { ProjectsView } from "./projects.js";
import { TerminalsView } from "./terminals.js";

const ENDED_MESSAGE = "This device's access was revoked or expired: ";

// The header names what is open: `place` is { label, host }; an empty label waits for server.info.
function showPlace({ label, host }) {
  byId("app-place-label").textContent = label;
  byId("app-place-host").textContent = host;
}

function showPill(text, kind) {
  const pill = byId("app-connection");
  pill.textContent = text;
  pill.dataset.kind = kind;
}

// The saved environment cannot be opened (see opening.js): say why and where to go instead.
export function showBlocked({ place, pill, title, next, links }) {
  showPlace(place);
  showPill(pill, "bad");
  byId("app-blocked-title").textContent = title;
  byId("app-blocked-next").textContent = next;
  byId("app-blocked-links").replaceChildren(...links.map(({ href, text }) => el("a", { href }, text)));
  byId("app-blocked").hidden = false;
}

export class WorkspaceApp {
  // pairUrl: where "pair again" leads. forget: what logging out also does (a saved environment
  // removes itself); without it the page reloads to this server's "not paired" screen.
  // AgentsPanel: the project's Agents tab (agents/panel.js), handed in by the page's entry module,
  // so that workspace never imports agents, the app that stands on it.
  constructor(backend, { place, pairUrl = pageUrl("pair"), forget = null, AgentsPanel }) {
    this.backend = backend;
    this.place = place;
    this.pairUrl = pairUrl;
    this.forget = forget;
    this.AgentsPanel = AgentsPanel;
    this.rpc = null;
    this.scopes = new Set();
  }

  // Only this server's own pages hold its cookie, which its admin and Connections pages need.
  get ownServer() {
    return !this.backend.baseUrl && !this.relayed;
  }

  // Opened through this server's relay: its HTTP calls and its socket go to this server.
  get relayed() {
    return Boolean(this.backend.relayed);
  }

  can(scope) {
    return this.scopes.has(scope);
  }

  async start() {
    showPlace(this.place);
    let session;
    try {
      session = await this.backend.session();
    } catch (error) {
      showPill("offline", "bad");
      byId("app-message").textContent = error.message;
      return;
    }
    if (!session.authenticated) {
      showPill("not paired", "bad");
      byId("app-unpaired-pair").href = this.pairUrl;
      byId("app-unpaired").hidden = false;
      return;
    }
    this.scopes = new Set(session.scopes);
    this.showDevice(session);
    this.applyScopes();
    byId("app-paired").hidden = false;

    this.rpc = new RpcSocket(this.backend);
    this.terminals = new TerminalsView(this);
    this.project = new ProjectView(this);
    this.picker = new FolderPicker(this);
    this.projects = new ProjectsView(this);
    this.bindNavigation();

    this.rpc.addEventListener("state", (event) => this.onState(event.detail));
    this.rpc.addEventListener("ended", (event) => this.onEnded(event.detail));
    this.rpc.addEventListener("unreachable", (event) => this.onUnreachable(event.detail));
    await this.rpc.connect();
  }

  showDevice(session) {
    byId("app-device").textContent = `${session.label || "this browser"} (${session.role})`;
    byId("app-scopes").textContent = session.scopes.join(", ");
    byId("app-admin").hidden = !(this.ownServer && this.can("admin"));
    if (this.relayed) {
      // Logging out through the relay would end this device's session on this server, which it uses
      // for every environment: no logout here, and the note says where it is.
      const logout = byId("app-logout");
      logout.hidden = true;
      const note = byId("app-relayed-note") || el("p", { id: "app-relayed-note", class: "muted" });
      note.replaceChildren(
        `Opened through this server (${window.location.host}), which holds the credential for it. `
          + "There, this device may do what it may do here, as far as that credential allows. "
          + "It uses this device's session on this server: to log out, ",
        el("a", { href: pageUrl("app") }, "open this server"), ".",
      );
      logout.after(note);
    }
  }

  // Actions the session lacks are hidden, not left to fail: data-scope="write" etc.
  applyScopes() {
    for (const node of document.querySelectorAll("[data-scope]")) {
      if (!this.can(node.dataset.scope)) node.hidden = true;
    }
  }

  bindNavigation() {
    byId("tab-projects").addEventListener("click", () => this.showView("projects"));
    byId("tab-terminals").addEventListener("click", () => this.showView("terminals"));
    byId("app-logout").addEventListener("click", async () => {
      this.rpc.close();
      await this.backend.logout().catch(() => {});
      if (this.forget) {
        await this.forget().catch(() => {});
        window.location.assign(pageUrl("environments"));
      } else {
        window.location.reload();
      }
    });
  }

  showView(name) {
    selectTab(byId(name === "terminals" ? "tab-terminals" : "tab-projects"));
    if (name === "terminals") this.terminals.shown();
  }

  async onState(state) {
    showPill(state === "connecting" ? "connecting…" : state, state === "open" ? "good" : "warn");
    if (state !== "open") return;
    byId("app-message").textContent = "";
    // Every (re)connect: reload what may have changed while the socket was down.
    await this.projects.load();  // first: terminal tabs are labelled with project titles
    if (this.can("terminal")) this.terminals.reattach();
    try {
      const info = await this.rpc.call("server.info");
      byId("app-server").textContent = `${info.label} · ${info.platform.os}/${info.platform.arch} · t3site ${info.serverVersion}`;
      if (!this.place.label) showPlace({ ...this.place, label: info.label });
    } catch {
      // The socket dropped again; the next "open" retries.
    }
  }

  // A relayed backend cannot be reached (4502): say why; the socket keeps trying.
  onUnreachable({ reason }) {
    showPill("unreachable", "bad");
    byId("app-message").textContent = `${this.place.label || "The environment"} cannot be reached through this server: `
      + `${sentence(reason || "no reason given")} Trying again…`;
  }

  // The socket stopped for good (RpcSocket does not retry 4401/4403/4410): say why and how to recover.
  onEnded({ code, reason }) {
    showPill("access ended", "bad");
    byId("app-paired").hidden = true;
    this.picker.close();
    const ended = byId("app-ended");
    if (this.relayed) {
      // Through the relay, pairing this browser with the environment is not the way back: what ended is
      // this device's session here, the environment's place on this server, or this server's credential.
      ended.replaceChildren(`The connection through this server ended (${reason || code}): `,
        el("a", { href: pageUrl("environments") }, "see the saved environments"), ".");
      ended.hidden = false;
      return;
    }
    const link = el("a", { href: this.pairUrl }, "pair again");
    const lead = code === CLOSE_SESSION_ENDED
      ? ENDED_MESSAGE
      : `The server refused this device (${reason || code}): `;
    ended.replaceChildren(lead, link, ".");
    ended.hidden = false;
  }
}
