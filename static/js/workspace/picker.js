// The folder picker: browse the server's folders (typed path, breadcrumbs or a tap
// on a folder), create a folder, and add the current folder as a project.
import { RPC_CONFLICT } from "../core/api.js";
import { busy, byId, el, errorLine } from "../core/dom.js";

export class FolderPicker {
  constructor(app) {
    this.app = app;
    this.dialog = byId("picker");
    this.path = null;
    this.latest = 0;  // only the newest browse may draw: answers can arrive out of order
    this.error = errorLine(byId("picker-error"));

    byId("picker-go").addEventListener("submit", (event) => {
      event.preventDefault();
      this.browse(byId("picker-path").value.trim() || undefined, { typed: true });
    });
    byId("picker-hidden").addEventListener("change", () => this.browse(this.path));
    byId("picker-mkdir").addEventListener("submit", (event) => {
      event.preventDefault();
      busy(event.submitter, this.error, () => this.createFolder());
    });
    byId("picker-add").addEventListener("submit", (event) => {
      event.preventDefault();
      busy(byId("picker-add-button"), this.error, () => this.addProject());
    });
  }

  open() {
    this.error.clear();
    byId("picker-title-input").value = "";
    this.dialog.showModal();
    this.browse(this.path || undefined);
  }

  close() {
    if (this.dialog.open) this.dialog.close();
  }

  async browse(path, { typed = false } = {}) {
    const request = ++this.latest;
    let listing;
    try {
      listing = await this.app.rpc.call("filesystem.browse", { path, showHidden: byId("picker-hidden").checked });
    } catch (error) {
      if (request === this.latest) this.error.show(error);
      return;
    }
    if (request !== this.latest) return;
    this.error.clear();
    this.path = listing.path;
    // Show where we are, but never overwrite a path the user is in the middle of typing.
    const input = byId("picker-path");
    if (typed || document.activeElement !== input) input.value = listing.path;
    const name = listing.breadcrumbs.at(-1)?.name || listing.path;
    // The server says whether this folder may be a project (not a protected place such as t3site's own
    // folder, which `make serve` starts in): say so on the button rather than after a tap.
    const add = byId("picker-add-button");
    add.disabled = !listing.addable;
    add.textContent = listing.addable ? `Add “${name}” as a project` : `“${name}” cannot be a project: open a folder in it`;
    this.renderCrumbs(listing.breadcrumbs);
    this.renderEntries(listing);
  }

  renderCrumbs(breadcrumbs) {
    const nav = byId("picker-crumbs");
    nav.replaceChildren(...breadcrumbs.map((crumb, index) => {
      const last = index === breadcrumbs.length - 1;
      return el("button", {
        type: "button", class: "crumb", "aria-current": last ? "location" : null, dataset: { path: crumb.path },
        onclick: () => this.browse(crumb.path),
      }, crumb.name || crumb.path);
    }));
    nav.lastElementChild?.scrollIntoView({ block: "nearest", inline: "end" });
  }

  renderEntries(listing) {
    const rows = listing.entries.map((entry) => el("li", {}, el("button", {
      type: "button", class: "row-button folder", dataset: { path: entry.path },
      onclick: () => this.browse(entry.path),
    }, el("span", { class: "row-title" }, entry.name,
      entry.isGitRepo ? el("span", { class: "badge" }, "git") : null,
      entry.isProject ? el("span", { class: "badge" }, "project") : null))));
    if (listing.parent) {
      rows.unshift(el("li", {}, el("button", {
        type: "button", class: "row-button folder", onclick: () => this.browse(listing.parent),
      }, el("span", { class: "row-title" }, "‹ Parent folder"))));
    }
    if (!listing.entries.length) rows.push(el("li", { class: "muted" }, "No folders here."));
    if (listing.truncated) rows.push(el("li", { class: "muted" }, "More folders than shown here: type a path to go further."));
    byId("picker-entries").replaceChildren(...rows);
  }

  async createFolder() {
    const input = byId("picker-new-name");
    const name = input.value.trim();
    if (!name) return this.error.show("Type a name for the new folder.");
    if (/[\\/]/.test(name)) return this.error.show("A folder name cannot contain a slash.");
    const { path } = await this.app.rpc.call("filesystem.createDirectory", { path: joinPath(this.path, name) });
    input.value = "";
    await this.browse(path);
  }

  async addProject() {
    const title = byId("picker-title-input").value.trim();
    let project;
    try {
      ({ project } = await this.app.rpc.call("projects.add", { path: this.path, title: title || undefined }));
    } catch (error) {
      // Already a project: what the user wants is that project, so open it.
      if (error.code !== RPC_CONFLICT || !error.data?.projectId) throw error;
      await this.app.projects.load();
      project = this.app.projects.find(error.data.projectId);
      if (!project) throw error;
    }
    this.close();
    await this.app.projects.load();
    this.app.projects.open(project);
  }
}

// The server's own separator: a Windows server hands out paths with backslashes.
function joinPath(base, name) {
  const separator = base.includes("\\") && !base.includes("/") ? "\\" : "/";
  return base.endsWith(separator) ? base + name : base + separator + name;
}
