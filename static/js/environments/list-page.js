// The /environments page (templates/environments/list.html), the app's environment switcher: this
// server, then every saved environment (this browser's and this server's, merged), whether it answers
// (directly, or through this server's relay) and still is the same server, and rename / remove / open
// (switcher.js, which the Connections page shows too); and, for an owner session here, "Add over SSH"
// (docs/ssh.md).
import { Backend, PATHS } from "../core/api.js";
import { reachOrReload } from "../core/csp.js";
import { byId } from "../core/dom.js";
import { backendsInThisBrowser, flushLogouts, sessionHere } from "./saved.js";
import { Switcher } from "./switcher.js";

const switcher = new Switcher({
  here: byId("environments-here"), list: byId("environments-list"), status: byId("environments-status"),
});

// The status line to show after the page loads itself again (see launch()).
const SAVED_MESSAGE_KEY = "t3site.environments.saved";

const ssh = Object.fromEntries(
  ["add", "form", "submit", "host-key", "fingerprint", "trust", "cancel", "status", "error", "error-detail"]
    .map((name) => [name, byId(`ssh-${name}`)]),
);
let pendingLaunch = null;

function sshFailed(message, detail = "") {
  ssh.error.textContent = message;
  ssh.error.hidden = false;
  ssh["error-detail"].textContent = detail;
  ssh["error-detail"].hidden = !detail;
}

// Launching answers an unknown host key with its fingerprint (error.details), which the page shows
// before anything is trusted.
async function launch(body) {
  ssh.submit.disabled = ssh.trust.disabled = true;
  ssh["host-key"].hidden = ssh.error.hidden = ssh["error-detail"].hidden = true;
  ssh.status.textContent = body.install
    ? "Connecting, installing t3site there if it is missing… this can take a few minutes."
    : "Connecting… this can take up to a minute.";
  try {
    const saved = await new Backend().request("POST", PATHS.sshEnvironment, body);
    ssh.status.textContent = "";
    ssh.form.reset();
    // This page may reach the environments saved on this server when it was loaded: load it again
    // so that it may reach the new one too, and say there what was saved.
    sessionStorage.setItem(SAVED_MESSAGE_KEY, `Saved ${saved.label} (${saved.httpBaseUrl}, over SSH).`);
    window.location.reload();
  } catch (error) {
    ssh.status.textContent = "";
    if (error.code === "unknown_host_key") {
      pendingLaunch = body;
      ssh.fingerprint.textContent = error.details.fingerprint;
      ssh["host-key"].hidden = false;
    } else {
      // The first line says what failed; what follows (the steps that fix it, the remote log) goes below.
      const [first, ...rest] = error.message.split("\n");
      sshFailed(first, rest.join("\n"));
    }
  } finally {
    ssh.submit.disabled = ssh.trust.disabled = false;
  }
}

ssh.form.onsubmit = (event) => {
  event.preventDefault();
  const value = (name) => ssh.form.elements[name].value.trim();
  const body = { target: value("target") };
  if (value("port")) body.port = Number(value("port"));
  for (const name of ["identity", "label", "remoteDir"]) if (value(name)) body[name] = value(name);
  if (ssh.form.elements.install.checked) body.install = true;
  launch(body);
};
ssh.trust.onclick = () => launch({ ...pendingLaunch, acceptNewHostKey: ssh.fingerprint.textContent });
ssh.cancel.onclick = () => {
  ssh["host-key"].hidden = true;
  ssh.status.textContent = "Not connected: the host key was not trusted.";
};

// Launching runs programs with this server's SSH keys: only an owner session (admin scope) may.
sessionHere().then((session) => {
  ssh.add.hidden = !(session && session.scopes.includes("admin") && session.scopes.includes("write"));
});

// This page checks every backend this browser saved, so its address must name those (t3site/csp.py);
// the ones saved on this server are allowed already.
if (reachOrReload(backendsInThisBrowser())) {
  const saved = sessionStorage.getItem(SAVED_MESSAGE_KEY);
  sessionStorage.removeItem(SAVED_MESSAGE_KEY);
  flushLogouts();
  switcher.load(saved || "");
}
