// The entry module of the app page (templates/workspace/app.html): the workspace app for this server,
// through its session cookie, or for the saved environment named by ?environment=<environmentId>,
// through the same code. Switching environments is a navigation to another ?environment=: one page,
// one backend. Like every entry (*-page.js) it stands above the apps it puts together: it hands
// workspace the agents app's panel for a project's Agents tab.
import { AgentsPanel } from "../agents/panel.js";
import { byId } from "../core/dom.js";
import { openTarget } from "./opening.js";
import { showBlocked, WorkspaceApp } from "./shell.js";

const target = await openTarget(new URLSearchParams(window.location.search).get("environment"), (text) => {
  byId("app-message").textContent = text;
});
if (target.blocked) {
  showBlocked(target.blocked);
} else {
  const app = new WorkspaceApp(target.backend, { ...target.options, AgentsPanel });
  // A handle for the browser console (and the end-to-end tests, which drop the socket on purpose).
  window.t3site = app;
  app.start();
}
