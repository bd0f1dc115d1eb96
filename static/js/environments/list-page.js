// The /environments page (templates/environments/list.html): every saved environment (this
// browser's and this server's, merged), whether it answers and still is the same server, and
// rename / remove / open; and, for an owner session here, "Add over SSH" (docs/ssh.md).
import { Backend, PATHS } from "../core/api.js";
import { reachOrReload } from "../core/csp.js";
import { byId } from "../core/dom.js";
import { messageFor } from "./messages.js";
import {
  appUrl, backendsInThisBrowser, checkDescriptor, checkSession, flushLogouts, listEnvironments, remove, rename,
  sessionHere, WHERE_BOTH, WHERE_BROWSER,
} from "./saved.js";

const status = byId("environments-status");
const list = byId("environments-list");
const template = byId("environment-row");

// The `serve` process opens the forward of a new SSH environment within seconds (it checks every 5 s):
// until then, look again rather than call it unreachable.
const SSH_RECHECK_MS = 2000;
const SSH_RECHECKS = 10;

// The status line to show after the page loads itself again (see launch()).
const SAVED_MESSAGE_KEY = "t3site.environments.saved";

const WHERE_TEXT = {
  [WHERE_BROWSER]: "saved in this browser",
  [WHERE_BOTH]: "saved in this browser and on this server",
  server: "saved on this server",
};

function show(pill, text, kind) {
  pill.textContent = text;
  pill.dataset.kind = kind;
}

// Fill in "reachable · paired", "descriptor changed" or "unreachable" for one row.
async function check(environment, fields, recheck = SSH_RECHECKS) {
  const found = await checkDescriptor(environment);
  if (found.status === "unreachable" && environment.kind === "ssh" && recheck > 0 && fields.state.isConnected) {
    show(fields.state, "forwarding…", "warn");
    fields.detail.textContent = "Waiting for this server to open its SSH forward.";
    setTimeout(() => check(environment, fields, recheck - 1), SSH_RECHECK_MS);
    return;
  }
  if (found.status === "unreachable") {
    show(fields.state, "unreachable", "bad");
    const { title, next } = messageFor({ code: found.reason, host: environment.httpBaseUrl });
    fields.detail.textContent = `${title} ${next}`;
    return;
  }
  if (found.status === "changed") {
    show(fields.state, "descriptor changed", "bad");
    fields.detail.textContent = `Another server (${found.descriptor.label}, ${found.descriptor.environmentId}) now answers at `
      + `this address. It is not opened in place of the saved one: pair with it again if it is the one you want.`;
    return;
  }
  let session;
  try {
    session = await checkSession(environment);
  } catch (error) {
    // No answer about the session (a dropped connection, a rate limit, a server error) says
    // nothing about it: only the backend's own "not authenticated" means it has ended.
    show(fields.state, "reachable · session not checked", "warn");
    fields.detail.textContent = `It answers, but asking it about this browser's session failed: ${error.message}`;
    return;
  }
  if (session.authenticated) {
    show(fields.state, "reachable · paired", "good");
    fields.detail.textContent = `Paired as ${session.role} (${session.scopes.join(", ")}).`;
  } else if (environment.paired) {
    show(fields.state, "reachable · session ended", "bad");
    fields.detail.textContent = "It says this browser's session there has ended (revoked, logged out or expired): "
      + "pair again with a new link.";
  } else {
    show(fields.state, "reachable · not paired", "warn");
    fields.detail.textContent = "This browser holds no session there: pair with a new link to open it from here.";
  }
}

function render(environment) {
  const row = template.content.firstElementChild.cloneNode(true);
  const fields = Object.fromEntries([...row.querySelectorAll("[data-field]")].map((el) => [el.dataset.field, el]));
  row.dataset.environmentId = environment.environmentId;
  fields.label.textContent = environment.label;
  fields.address.textContent = environment.httpBaseUrl;
  fields.where.textContent = WHERE_TEXT[environment.where];
  fields.open.href = appUrl(environment);
  if (environment.addressDiffers) {
    // This server's row names another address than the one this browser paired at: never
    // contacted, and "Open" would open this browser's entry, so it is not offered here.
    row.dataset.addressDiffers = "yes";
    fields.open.hidden = true;
    show(fields.state, "address differs", "bad");
    fields.detail.textContent = "This server's list gives an address that differs from where this browser paired. "
      + "This browser's session is never sent there: remove this entry, or pair again at this address if it is right.";
  }
  fields.rename.onclick = () => {
    fields["rename-input"].value = environment.label;
    fields["rename-form"].hidden = false;
    fields["rename-input"].focus();
  };
  fields["rename-form"].onsubmit = async (event) => {
    event.preventDefault();
    const label = fields["rename-input"].value.trim();
    if (!label) return;
    await act(() => rename(environment, label), `Renamed to ${label}.`);
  };
  fields.remove.onclick = async () => {
    if (fields.remove.dataset.confirming !== "yes") {
      fields.remove.dataset.confirming = "yes";
      fields.remove.textContent = "Remove for good?";
      return;
    }
    await act(() => remove(environment), `Removed ${environment.label}.`);
  };
  if (!environment.addressDiffers) check(environment, fields);
  return row;
}

async function act(change, done) {
  try {
    await change();
    await load(done);
  } catch (error) {
    status.textContent = `That did not work: ${error.message}`;
  }
}

async function load(message = "") {
  const environments = await listEnvironments();
  list.replaceChildren(...environments.map(render));
  status.textContent = message || (environments.length
    ? `${environments.length} saved environment${environments.length === 1 ? "" : "s"}.`
    : "No saved environments yet. Open a pairing link, or pair with a code.");
}

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
  load(saved || "");
}
