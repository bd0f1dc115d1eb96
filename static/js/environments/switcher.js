// The environment switcher: this server, then every saved environment (this browser's and this
// server's, merged), each with its state, and rename / remove / open. The /environments page and the
// Connections page show the same list through this module.
//
// An environment this browser holds a credential for is checked directly, as the app opens it. One
// only this server holds a credential for is checked through this server (the relay, docs/contract.md
// §8): its descriptor and this device's scopes there come from /via/<environmentId>/..., and its own
// address is never fetched from the browser (an SSH one's is this server's loopback forward).
import { Backend } from "../core/api.js";
import { el } from "../core/dom.js";
import { pageUrl } from "../core/urls.js";
import { messageFor } from "./messages.js";
import { checkThroughRelay, relayBackend, sentence, viaHere } from "./relay.js";
import {
  appUrl, checkDescriptor, checkPastForwarding, checkSession, listEnvironments, remove, rename, sessionHere,
  throughRelay, WHERE_BOTH, WHERE_BROWSER,
} from "./saved.js";

const WHERE_TEXT = {
  [WHERE_BROWSER]: "saved in this browser",
  [WHERE_BOTH]: "saved in this browser and on this server",
  server: "saved on this server",
};

// Said by this server's owner, never by this browser: the credential the relay uses is this server's.
const PAIR_ON_THE_SERVER = "This server's owner can pair it again there (manage.py environments add).";

function show(pill, text, kind) {
  pill.textContent = text;
  pill.dataset.kind = kind;
}

// One row: the same fields for this server and for a saved environment (data-field names them).
function rowElement(actions) {
  const field = (tag, name, attributes = {}, ...children) => el(tag, { ...attributes, "data-field": name }, ...children);
  const row = el("li", { class: "environment" },
    el("div", { class: "heading-row" },
      field("span", "label", { class: "row-title" }),
      field("span", "state", { class: "pill" }, "checking…")),
    el("div", { class: "row-sub" }, field("span", "address"), " · ", field("span", "where")),
    field("div", "detail", { class: "row-sub" }),
    actions ? field("form", "rename-form", { class: "input-row inline-form", hidden: true },
      field("input", "rename-input", { maxlength: "200", "aria-label": "New name" }),
      el("button", { type: "submit", class: "quiet" }, "Save")) : null,
    el("div", { class: "actions" },
      field("a", "open", { href: "#" }, "Open"),
      actions ? field("button", "rename", { type: "button", class: "quiet" }, "Rename") : null,
      actions ? field("button", "remove", { type: "button", class: "danger" }, "Remove") : null));
  const fields = Object.fromEntries([...row.querySelectorAll("[data-field]")].map((node) => [node.dataset.field, node]));
  return { row, fields };
}

export class Switcher {
  // here: the list that shows this server; list: the saved environments; status: the line saying how many.
  // checksDirect: whether the page may reach the addresses this browser saved (t3site/csp.py: the
  // /environments page names them; the Connections page does not, so it leaves those unchecked).
  constructor({ here, list, status, checksDirect = true }) {
    Object.assign(this, { here, list, status, checksDirect });
  }

  async load(message = "") {
    this.here.replaceChildren(await this.thisServer());
    const environments = await listEnvironments();
    this.list.replaceChildren(...environments.map((environment) => this.render(environment)));
    this.status.textContent = message || (environments.length
      ? `${environments.length} saved environment${environments.length === 1 ? "" : "s"}.`
      : "No saved environments yet. Open a pairing link, or pair with a code.");
  }

  // This server: the app without ?environment, through this browser's session cookie.
  async thisServer() {
    const { row, fields } = rowElement(false);
    row.dataset.here = "yes";
    fields.label.textContent = "This server";
    fields.address.textContent = window.location.origin;
    fields.where.textContent = "the server of this page";
    fields.open.href = pageUrl("app");
    const [descriptor, session] = await Promise.all([new Backend().descriptor().catch(() => null), sessionHere()]);
    if (descriptor?.label) fields.where.textContent = descriptor.label;
    if (session) {
      show(fields.state, "this device is paired here", "good");
      fields.detail.textContent = `This device: ${session.role} (${session.scopes.join(", ")}).`;
    } else {
      show(fields.state, "not paired here", "warn");
      fields.detail.textContent = "This browser has no session on this server: open a pairing link of this server.";
    }
    return row;
  }

  render(environment) {
    const { row, fields } = rowElement(true);
    row.dataset.environmentId = environment.environmentId;
    fields.label.textContent = environment.label;
    fields.address.textContent = environment.httpBaseUrl;
    fields.where.textContent = WHERE_TEXT[environment.where];
    fields.open.href = appUrl(environment);
    if (throughRelay(environment)) row.dataset.relayed = "yes";
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
      await this.act(() => rename(environment, label), `Renamed to ${label}.`);
    };
    fields.remove.onclick = async () => {
      if (fields.remove.dataset.confirming !== "yes") {
        fields.remove.dataset.confirming = "yes";
        fields.remove.textContent = "Remove for good?";
        return;
      }
      await this.act(() => remove(environment), `Removed ${environment.label}.`);
    };
    if (environment.addressDiffers) return row;
    if (throughRelay(environment)) checkRelayed(environment, fields);
    else if (this.checksDirect) checkDirect(environment, fields);
    else {
      show(fields.state, "not checked here", "warn");
      fields.detail.textContent = "This browser reaches it directly: the Saved environments page checks it, and so "
        + "does opening it.";
    }
    return row;
  }

  async act(change, done) {
    try {
      await change();
      await this.load(done);
    } catch (error) {
      this.status.textContent = `That did not work: ${error.message}`;
    }
  }
}

// Check one row, saying "forwarding…" while an SSH environment's forward is not open yet.
function checkRow(environment, fields, check) {
  return checkPastForwarding(environment, check, () => {
    show(fields.state, "forwarding…", "warn");
    fields.detail.textContent = "Waiting for this server to open its SSH forward.";
  }, () => fields.state.isConnected);
}

// Fill in "reachable · through this server", "descriptor changed" or "unreachable", asking this server.
async function checkRelayed(environment, fields) {
  const found = await checkRow(environment, fields, () => checkThroughRelay(environment));
  if (found.status === "unreachable") {
    show(fields.state, "unreachable", "bad");
    // Why, in this server's words: the backend is not "pair again" away, whatever happened to it.
    fields.detail.textContent = sentence(`This server cannot reach it: ${found.message}`);
    return;
  }
  if (found.status === "changed") {
    show(fields.state, "descriptor changed", "bad");
    fields.detail.textContent = `Another server (${found.descriptor.label}, ${found.descriptor.environmentId}) now `
      + `answers where this server reaches it, so it is not opened in its place. ${PAIR_ON_THE_SERVER}`;
    return;
  }
  let session;
  try {
    session = await relayBackend(environment).session();
  } catch (error) {
    if (error.status === 502) {
      show(fields.state, "reachable · credential refused", "bad");
      fields.detail.textContent = `${sentence(`It answers, but not to this server: ${error.message}`)} ${PAIR_ON_THE_SERVER}`;
    } else {
      show(fields.state, "reachable · session not checked", "warn");
      fields.detail.textContent = `It answers, but asking this server about this device's access failed: ${error.message}`;
    }
    return;
  }
  if (!session.scopes.length) {
    show(fields.state, "reachable · no shared access", "bad");
    fields.detail.textContent = "This device's access here and this server's credential there have nothing in common.";
    return;
  }
  show(fields.state, "reachable · through this server", "good");
  fields.detail.textContent = `Opened ${viaHere()}, with this server's credential: ${session.scopes.join(", ")} `
    + "(this device's access here that the credential also has). No pairing of this browser needed.";
}

// Fill in "reachable · paired", "descriptor changed" or "unreachable" for one row, asking the backend.
async function checkDirect(environment, fields) {
  const found = await checkRow(environment, fields, () => checkDescriptor(environment));
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
