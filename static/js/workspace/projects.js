// The list of projects: load it, keep it current from projects.changed, open one.
import { byId, el, errorLine } from "../core/dom.js";

export class ProjectsView {
  constructor(app) {
    this.app = app;
    this.projects = [];
    this.error = errorLine(byId("projects-error"));
    byId("project-add").addEventListener("click", () => app.picker.open());
    app.rpc.addEventListener("projects.changed", (event) => this.render(event.detail.projects));
  }

  async load() {
    try {
      const { projects } = await this.app.rpc.call("projects.list");
      this.error.clear();
      this.render(projects);
    } catch (error) {
      this.error.show(error);
    }
  }

  find(id) {
    return this.projects.find((project) => project.id === id);
  }

  render(projects) {
    this.projects = projects;
    byId("projects-empty").hidden = projects.length > 0;
    byId("project-list").replaceChildren(...projects.map((project) => el("li", {},
      el("button", { type: "button", class: "row-button", dataset: { projectId: project.id },
        onclick: () => this.open(project) },
        el("span", { class: "row-title" }, project.title,
          project.isGitRepo ? el("span", { class: "badge" }, "git") : null),
        el("span", { class: "row-sub path" }, project.path)),
    )));
    this.app.project.refresh(this.projects);
  }

  open(project) {
    byId("projects-home").hidden = true;
    this.app.project.open(project);
  }

  showList() {
    byId("projects-home").hidden = false;
    this.load();
  }
}
