// The web client's entry point: the workspace app for this server, through its session cookie.
import { Backend } from "./api.js";
import { WorkspaceApp } from "./workspace/shell.js";

const app = new WorkspaceApp(new Backend());
// A handle for the browser console (and the end-to-end tests, which drop the socket on purpose).
window.t3site = app;
app.start();
