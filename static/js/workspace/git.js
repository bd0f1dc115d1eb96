// A project's git status and recent commits, with a diff view per changed file.
import { RPC_NOT_FOUND } from "../core/api.js";
import { byId, el, errorLine } from "../core/dom.js";

const LOG_LIMIT = 30;

export class GitPanel {
  constructor(app) {
    this.app = app;
    this.project = null;
    this.error = errorLine(byId("git-error"));
    this.diffError = errorLine(byId("git-diff-error"));
    byId("git-refresh").addEventListener("click", () => this.load(this.project));
  }

  reset() {
    this.project = null;
    byId("git-status").replaceChildren();
    byId("git-log").replaceChildren();
    byId("git-diff-pane").hidden = true;
    this.error.clear();
  }

  async load(project) {
    this.project = project;
    const projectId = project.id;
    let status;
    let log;
    try {
      [status, log] = await Promise.all([
        this.app.rpc.call("git.status", { projectId }),
        this.app.rpc.call("git.log", { projectId, limit: LOG_LIMIT }),
      ]);
      this.error.clear();
    } catch (error) {
      this.reset();
      this.project = project;
      this.error.show(error.code === RPC_NOT_FOUND ? `Not a git repository: ${error.message}` : error);
      return;
    }
    if (this.project?.id !== projectId) return;
    this.renderStatus(status);
    this.renderLog(log.commits);
  }

  renderStatus(status) {
    const branch = status.detached ? `detached at ${status.head?.slice(0, 8) || "?"}` : status.branch;
    const tracking = status.upstream
      ? `${status.upstream} · ${status.ahead} ahead, ${status.behind} behind`
      : "no upstream";
    const groups = [
      ["Staged", status.staged.map((change) => ({ ...change, staged: true }))],
      ["Changed", status.unstaged.map((change) => ({ ...change, staged: false }))],
      ["Untracked", status.untracked.map((path) => ({ path, status: "?", untracked: true }))],
    ].filter(([, changes]) => changes.length);
    byId("git-status").replaceChildren(
      el("p", { class: "branch" }, el("strong", {}, branch || "(no branch)"), " ", el("span", { class: "muted" }, tracking)),
      ...(groups.length ? [] : [el("p", { class: "muted" }, "Nothing to commit: the working tree is clean.")]),
      ...groups.map(([title, changes]) => el("section", { class: "changes" },
        el("h3", {}, `${title} (${changes.length})`),
        el("ul", { class: "list" }, changes.map((change) => el("li", {}, this.changeButton(change)))))),
    );
  }

  changeButton(change) {
    const label = [el("span", { class: "status-code" }, change.status), " ", el("span", { class: "path" }, change.path)];
    if (change.untracked) return el("span", { class: "tree-item" }, ...label);
    return el("button", {
      type: "button", class: "tree-item", dataset: { path: change.path },
      onclick: () => this.showDiff(change),
    }, ...label);
  }

  renderLog(commits) {
    byId("git-log").replaceChildren(...commits.map((commit) => el("li", {},
      el("span", { class: "row-title" }, commit.subject),
      el("span", { class: "row-sub" }, el("code", {}, commit.shortHash), ` · ${commit.author} · `,
        el("time", { datetime: commit.date }, new Date(commit.date).toLocaleString())))));
    if (!commits.length) byId("git-log").append(el("li", { class: "muted" }, "No commits yet."));
  }

  async showDiff(change) {
    const pane = byId("git-diff-pane");
    const output = byId("git-diff");
    byId("git-diff-title").textContent = `${change.path} (${change.staged ? "staged" : "working tree"})`;
    output.replaceChildren();
    pane.hidden = false;
    let result;
    try {
      result = await this.app.rpc.call("git.diff", { projectId: this.project.id, path: change.path, staged: change.staged });
      this.diffError.clear();
    } catch (error) {
      this.diffError.show(error);
      return;
    }
    // One span per line so added and removed lines can be coloured without parsing HTML.
    output.replaceChildren(...result.diff.split("\n").map((line) => el("span", { class: lineKind(line) }, line, "\n")));
    if (!result.diff) output.textContent = "No textual difference.";
    if (result.truncated) output.append(el("span", { class: "muted" }, "… the diff is longer than shown here."));
    if (window.matchMedia("(max-width: 56rem)").matches) pane.scrollIntoView({ block: "start" });
  }
}

function lineKind(line) {
  if (line.startsWith("+++") || line.startsWith("---") || line.startsWith("diff ")) return "diff-file";
  if (line.startsWith("@@")) return "diff-hunk";
  if (line.startsWith("+")) return "diff-add";
  if (line.startsWith("-")) return "diff-del";
  return "";
}
