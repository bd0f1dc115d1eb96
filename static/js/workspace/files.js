// A project's file tree (folders load when opened) and a read-only file viewer.
import { RPC_TOO_LARGE } from "../core/api.js";
import { byId, el, errorLine } from "../core/dom.js";

// A file over the server's whole-read limit is shown piece by piece (files.read by range).
const PIECE_BYTES = 256 * 1024;

function bytesOf(piece) {
  if (piece.encoding !== "base64") return new TextEncoder().encode(piece.content);
  return Uint8Array.from(atob(piece.content), (char) => char.charCodeAt(0));
}

export class FilesPanel {
  constructor(app) {
    this.app = app;
    this.project = null;
    this.error = errorLine(byId("files-error"));
  }

  load(project) {
    this.project = project;
    byId("file-viewer").hidden = true;
    const root = byId("file-tree");
    root.replaceChildren();
    this.fill(root, "");
  }

  async fill(list, path) {
    const projectId = this.project.id;
    let entries;
    let truncated;
    try {
      ({ entries, truncated } = await this.app.rpc.call("files.list", { projectId, path: path || undefined }));
      this.error.clear();
    } catch (error) {
      this.error.show(error);
      return false;
    }
    if (this.project?.id !== projectId) return false;  // the user moved on to another project
    list.replaceChildren(...entries.map((entry) => this.item(entry)));
    if (!entries.length) list.append(el("li", { class: "muted tree-empty" }, "(empty folder)"));
    if (truncated) list.append(el("li", { class: "muted tree-empty" }, "(more entries than shown here)"));
    return true;
  }

  item(entry) {
    if (entry.type === "directory") {
      const children = el("ul", { class: "tree", hidden: true });
      const toggle = el("button", {
        type: "button", class: "tree-item folder", "aria-expanded": "false", dataset: { path: entry.path },
        onclick: async () => {
          const expand = toggle.getAttribute("aria-expanded") !== "true";
          if (expand && !children.dataset.loaded) {
            if (!await this.fill(children, entry.path)) return;
            children.dataset.loaded = "yes";
          }
          toggle.setAttribute("aria-expanded", String(expand));
          children.hidden = !expand;
        },
      }, entry.name);
      return el("li", {}, toggle, children);
    }
    return el("li", {}, el("button", {
      type: "button", class: "tree-item file", dataset: { path: entry.path },
      onclick: (event) => this.show(entry, event.currentTarget),
    }, entry.name, entry.type === "symlink" ? " →" : "", el("span", { class: "muted size" }, formatSize(entry.size))));
  }

  async show(entry, button) {
    for (const item of byId("file-tree").querySelectorAll("[aria-current]")) item.removeAttribute("aria-current");
    button.setAttribute("aria-current", "true");
    const viewer = byId("file-viewer");
    const note = byId("viewer-note");
    const content = byId("viewer-content");
    byId("viewer-path").textContent = entry.path;
    byId("viewer-meta").textContent = "loading…";
    byId("viewer-more").hidden = true;
    note.hidden = true;
    content.hidden = true;
    viewer.hidden = false;
    let file;
    try {
      file = await this.app.rpc.call("files.read", { projectId: this.project.id, path: entry.path });
    } catch (error) {
      byId("viewer-meta").textContent = "";
      if (error.code === RPC_TOO_LARGE) {
        await this.showInPieces(entry);
        return;
      }
      note.textContent = error.message;
      note.hidden = false;
      return;
    }
    byId("viewer-meta").textContent = formatSize(file.size);
    if (file.binary || file.encoding !== "utf-8") {
      note.textContent = `Binary file (${formatSize(file.size)}): not shown as text.`;
      note.hidden = false;
    } else {
      content.textContent = file.content;
      content.hidden = false;
    }
    this.bringIntoView();
  }

  bringIntoView() {
    // One column on a phone: bring the viewer, below the tree, into view.
    if (window.matchMedia("(max-width: 56rem)").matches) byId("file-viewer").scrollIntoView({ block: "start" });
  }

  // Text too large to read whole: the first piece, then "Show more" adds the next. One decoder
  // for the whole file, so a character cut at a piece's edge is joined with the next piece.
  async showInPieces(entry) {
    const projectId = this.project.id;
    const note = byId("viewer-note");
    const content = byId("viewer-content");
    const more = byId("viewer-more");
    const decoder = new TextDecoder("utf-8");
    let offset = 0;
    const next = async () => {
      more.disabled = true;
      let piece;
      try {
        piece = await this.app.rpc.call("files.read", { projectId, path: entry.path, offset, length: PIECE_BYTES });
      } catch (error) {
        note.textContent = error.message;
        note.hidden = false;
        return;
      } finally {
        more.disabled = false;
      }
      if (this.project?.id !== projectId || byId("viewer-path").textContent !== entry.path) return;
      const bytes = bytesOf(piece);
      if (offset === 0 && bytes.includes(0)) {
        note.textContent = `Binary file (${formatSize(piece.size)}): not shown as text.`;
        note.hidden = false;
        return;
      }
      content.append(decoder.decode(bytes, { stream: !piece.eof }));
      content.hidden = false;
      offset += piece.length;
      byId("viewer-meta").textContent = formatSize(piece.size);
      note.textContent = piece.eof
        ? `The whole file is shown (${formatSize(piece.size)}).`
        : `Showing the first ${formatSize(offset)} of ${formatSize(piece.size)}.`;
      note.hidden = false;
      more.hidden = piece.eof;
    };
    content.replaceChildren();
    more.onclick = next;
    await next();
    this.bringIntoView();
  }
}

function formatSize(bytes) {
  if (bytes === null || bytes === undefined) return "";
  const units = ["B", "KB", "MB", "GB"];
  let size = bytes;
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) {
    size /= 1024;
    unit += 1;
  }
  return `${unit ? size.toFixed(1) : size} ${units[unit]}`;
}

