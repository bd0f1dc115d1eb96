// One open project: its files and git panels, renaming and removing it, and
// launching a terminal or an agent CLI in its folder.
import { RPC_CONFLICT } from "../core/api.js";
import { busy, byId, el, errorLine, selectTab } from "../core/dom.js";
import { FilesPanel } from "./files.js";
import { GitPanel } from "./git.js";

export class ProjectView {
  constructor(app) {
    this.app = app;
    this.project = null;
    this.providers = null;
    this.files = new FilesPanel(app);
    this.git = new GitPanel(app);
    this.agents = new app.AgentsPanel(app);
    this.launchError = errorLine(byId("project-launch-error"));
    this.manageError = errorLine(byId("project-manage-error"));

    byId("project-back").addEventListener("click", () => this.close());
    byId("tab-files").addEventListener("click", () => selectTab(byId("tab-files")));
    byId("tab-git").addEventListener("click", () => {
      selectTab(byId("tab-git"));
      this.git.load(this.project);
    });
    byId("tab-agents").addEventListener("click", () => {
      selectTab(byId("tab-agents"));
      this.agents.shown();
    });
    byId("project-terminal").addEventListener("click", (event) => busy(event.currentTarget, this.launchError, () => this.launch(null)));
    this.bindRename();
    this.bindRemove();
  }

  open(project) {
    this.project = project;
    this.showHeading();
    this.launchError.clear();
    this.manageError.clear();
    this.hideForms();
    byId("project-view").hidden = false;
    selectTab(byId("tab-files"));
    this.files.load(project);
    this.git.reset();
    this.agents.reset(project);
    if (this.app.can("terminal")) this.loadProviders();
  }

  close() {
    this.project = null;
    byId("project-view").hidden = true;
    this.app.projects.showList();
  }

  // The project list changed (here or on another device): follow a rename, leave a removed project.
  refresh(projects) {
    if (!this.project) return;
    const current = projects.find((project) => project.id === this.project.id);
    if (!current) return this.close();
    this.project = current;
    this.showHeading();
  }

  showHeading() {
    byId("project-title").textContent = this.project.title;
    byId("project-path").textContent = this.project.path;
  }

  async loadProviders() {
    const agents = byId("project-agents");
    if (!this.providers) {
      try {
        ({ providers: this.providers } = await this.app.rpc.call("providers.list"));
      } catch (error) {
        this.launchError.show(`Cannot list agent CLIs: ${error.message}`);
        return;
      }
    }
    const available = this.providers.filter((provider) => provider.available);
    agents.replaceChildren(...available.map((provider) => el("button", {
      type: "button", title: provider.path || provider.command, dataset: { provider: provider.id },
      onclick: (event) => busy(event.currentTarget, this.launchError, () => this.launch(provider)),
    }, `Start ${provider.name}`)));
  }

  // A provider session is a terminal running the provider's command in the project folder.
  launch(provider) {
    return this.app.terminals.open({
      projectId: this.project.id,
      command: provider ? provider.command : undefined,
      label: `${this.project.title} · ${provider ? provider.name : "shell"}`,
    }).catch((error) => {
      this.app.showView("projects");  // back to the button that failed, where its error line is
      throw error;
    });
  }

  hideForms() {
    byId("project-rename-form").hidden = true;
    byId("project-remove-confirm").hidden = true;
  }

  bindRename() {
    const form = byId("project-rename-form");
    const input = byId("project-rename-input");
    byId("project-rename").addEventListener("click", () => {
      this.hideForms();
      form.hidden = false;
      input.value = this.project.title;
      input.focus();
    });
    form.querySelector("[data-cancel]").addEventListener("click", () => this.hideForms());
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(form.querySelector('[type="submit"]'), this.manageError, async () => {
        const { project } = await this.app.rpc.call("projects.rename", { id: this.project.id, title: input.value.trim() });
        this.project = project;
        this.showHeading();
        this.hideForms();
        this.app.projects.load();
      });
    });
  }

  // Removing asks first; when the server says terminals are still open (-32009),
  // the question changes to closing them too, and the same button confirms with force.
  bindRemove() {
    const confirm = byId("project-remove-confirm");
    const yes = byId("project-remove-yes");
    byId("project-remove").addEventListener("click", () => {
      this.hideForms();
      this.force = false;
      byId("project-remove-question").textContent = "Remove this project from t3site? Its folder stays on the server.";
      yes.textContent = "Remove";
      confirm.hidden = false;
    });
    confirm.querySelector("[data-cancel]").addEventListener("click", () => this.hideForms());
    yes.addEventListener("click", () => busy(yes, this.manageError, async () => {
      try {
        await this.app.rpc.call("projects.remove", { id: this.project.id, force: this.force || undefined });
      } catch (error) {
        if (error.code !== RPC_CONFLICT) throw error;
        this.force = true;
        byId("project-remove-question").textContent = `${error.message} Close them and remove the project?`;
        yes.textContent = "Close terminals and remove";
        return;
      }
      this.close();
    }));
  }
}
