// The /environments page: every saved environment (this browser's and this server's, merged),
// whether it answers and still is the same server, and rename / remove / open.
import { checkDescriptor, checkSession, listEnvironments, remove, rename, WHERE_BOTH, WHERE_BROWSER } from "../environments.js";
import { messageFor } from "./messages.js";

const status = document.getElementById("environments-status");
const list = document.getElementById("environments-list");
const template = document.getElementById("environment-row");

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
async function check(environment, fields) {
  const found = await checkDescriptor(environment);
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
  const session = await checkSession(environment).catch(() => ({ authenticated: false }));
  if (session.authenticated) {
    show(fields.state, "reachable · paired", "good");
    fields.detail.textContent = `Paired as ${session.role} (${session.scopes.join(", ")}).`;
  } else {
    show(fields.state, "reachable · not paired", "warn");
    fields.detail.textContent = environment.paired
      ? "This browser's session there was revoked or has expired: pair again with a new link."
      : "This browser holds no session there: pair with a new link to open it from here.";
  }
}

function render(environment) {
  const row = template.content.firstElementChild.cloneNode(true);
  const fields = Object.fromEntries([...row.querySelectorAll("[data-field]")].map((el) => [el.dataset.field, el]));
  row.dataset.environmentId = environment.environmentId;
  fields.label.textContent = environment.label;
  fields.address.textContent = environment.httpBaseUrl;
  fields.where.textContent = WHERE_TEXT[environment.where];
  fields.open.href = `/?environment=${encodeURIComponent(environment.environmentId)}`;
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
  check(environment, fields);
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

load();
