// The web client's entry point: the workspace app for this server, through its session cookie.
import { Backend } from "./api.js";
import { WorkspaceApp } from "./workspace/shell.js";

new WorkspaceApp(new Backend()).start();
