// The /pair page (templates/environments/pair.html). Direct: /pair#token=CODE pairs this browser
// with this server (cookie mode). Hosted: /pair?host=URL&label=NAME#token=CODE pairs this browser
// with another backend (bearer mode, straight from the browser) and saves it; the token never
// reaches this server.
// The form takes an address and a code, or the whole pairing URL pasted into either field.

// Read the token, then take it out of the address bar and history before anything else runs:
// no request, referrer or later page can see it. replaceState rewrites the current entry, so
// going back cannot reveal it either.
const fragment = new URLSearchParams(window.location.hash.slice(1));
const tokenFromLink = fragment.get("token");
const nameFromLink = fragment.get("name") || "";  // a name typed here before the page named its host
if (window.location.hash) {
  history.replaceState(null, "", window.location.pathname + window.location.search);
}

// Opening another link that differs only in its fragment does not reload the page: start over.
window.addEventListener("hashchange", () => {
  if (new URLSearchParams(window.location.hash.slice(1)).has("token")) window.location.reload();
});

const { Backend, PATHS } = await import("../core/api.js");
const { mayReach } = await import("../core/csp.js");
const { byId, showText } = await import("../core/dom.js");
const { AddressError, normalizeOrigin } = await import("../core/origins.js");
const { pageUrl } = await import("../core/urls.js");
const {
  addressOf, defaultLabel, directPairingLink, isMixedContent, normalizeCode, readPairingForm,
} = await import("./hosts.js");
const { messageFor, retryAfterOf } = await import("./messages.js");
const environments = await import("./saved.js");

const query = new URLSearchParams(window.location.search);
const status = byId("pair-status");
const next = byId("pair-next");
const form = byId("pair-form");
const submit = byId("pair-submit");
const field = (name) => byId(`pair-${name}`);
let busy = false;
const spent = new Set();  // codes that already got a final answer: never sent again

class Failure extends Error {
  constructor(code, details = {}) {
    super(details.message || code);
    Object.assign(this, details, { code });
  }
}

function say(title, hint = "", link = "") {
  showText(status, title);
  showText(next, hint);
  next.hidden = !hint;
  const direct = field("direct-link");
  direct.textContent = link;
  direct.href = link || "#";
  field("direct").hidden = !link;
}

function fail(failure) {
  const { title, next: hint, link } = messageFor(failure);
  say(title, hint, link);
  form.hidden = false;
}

// The name this device asks to be given, only when the person typed one: otherwise the server
// names it (from the pairing link's label, else from this browser's user agent).
const named = (label) => (label ? { label } : {});

function asFailure(error, host) {
  if (error instanceof Failure) return error;
  if (error instanceof AddressError) return new Failure("bad_host", { message: error.message });
  return new Failure(error.code || "failed", { message: error.message, retryAfter: retryAfterOf(error), host });
}

async function pairDirect(code, label) {
  await new Backend().request("POST", PATHS.pair, { token: code, mode: "cookie", ...named(label) });
  say("Paired. Opening the app…");
  window.location.replace(pageUrl("app"));
}

async function pairHosted(rawHost, code, label, environmentLabel) {
  const host = normalizeOrigin(rawHost, window.location.protocol);
  if (isMixedContent(window.location.protocol, host)) {
    throw new Failure("mixed_content", { host, directLink: directPairingLink(host, code), codeUnspent: true });
  }
  if (!mayReach(host)) {
    // This page's scripts may reach only the backends its address names (t3site/csp.py): open it as
    // the hosted pairing link of that backend, the code (and a typed name) in the fragment as ever.
    say(`Opening the pairing link of ${host}…`);
    const query = new URLSearchParams({ host, ...(environmentLabel ? { label: environmentLabel } : {}) });
    const secret = new URLSearchParams({ token: code, ...(label ? { name: label } : {}) });
    window.location.replace(`${pageUrl("pair")}?${query}#${secret}`);
    return;
  }
  // The descriptor first: an unreachable or wrong backend must not spend the token.
  say(`Checking ${host}…`);
  const backend = new Backend(host);
  let descriptor;
  try {
    descriptor = await backend.descriptor();
  } catch (error) {
    if (error.code !== "network") throw new Failure("not_a_backend", { host, codeUnspent: true });
    throw new Failure(await environments.whyUnreachable(host), {
      host, directLink: directPairingLink(host, code), codeUnspent: true,
    });
  }
  if (typeof descriptor?.environmentId !== "string") throw new Failure("not_a_backend", { host, codeUnspent: true });
  say(`Pairing with ${descriptor.label || host}…`);
  const session = await backend.request("POST", PATHS.pair, { token: code, mode: "bearer", ...named(label) });
  spent.add(code);
  const { record, replaced } = environments.saveInBrowser({
    environmentId: descriptor.environmentId,
    label: environmentLabel || defaultLabel(descriptor.label, addressOf(host)),
    httpBaseUrl: host,
    sessionToken: session.sessionToken,
    sessionId: session.sessionId,
    role: session.role,
    scopes: session.scopes,
  });
  environments.logOutReplaced(replaced);
  const onServer = await environments.saveOnServer(record).catch(() => false);
  say(`${record.label} is saved in this browser${onServer ? " and in this server's list" : ""}.`,
    `Paired as ${session.role} (${session.scopes.join(", ")}).`);
  offerToOpen(record);
  form.hidden = true;
}

function offerToOpen(record) {
  field("open").textContent = `Open ${record.label}`;
  field("open").onclick = () => window.location.assign(environments.appUrl(record));
  field("done").hidden = false;
}

// A link to a backend without a code: "Pair again", or going back to this page after pairing.
function askForCode(rawHost) {
  let saved = null;
  try {
    saved = environments.savedInBrowserAt(normalizeOrigin(rawHost, window.location.protocol));
  } catch {
    // Not an address: the form shows it, and pairing says what is wrong with it.
  }
  if (!saved) return fail({ code: "missing_token" });
  say(`${saved.label} is saved in this browser.`, "To pair it again, type a new pairing code below.");
  offerToOpen(saved);
  form.hidden = false;
}

async function pair({ host, code: rawCode, label, environmentLabel = "" }) {
  if (busy) return;  // a double submit must not spend the token twice
  const code = normalizeCode(rawCode);
  if (!code) return fail({ code: "malformed_token" });
  if (spent.has(code)) return fail({ code: "invalid_token" });
  busy = true;
  submit.disabled = true;
  form.hidden = true;
  say("Pairing…");
  try {
    const direct = !host || normalizeOrigin(host, window.location.protocol) === window.location.origin;
    if (direct) await pairDirect(code, label);
    else await pairHosted(host, code, label, environmentLabel);
  } catch (error) {
    const failure = asFailure(error, host && host.trim());
    if (failure.code === "invalid_token" || failure.code === "expired_token") spent.add(code);
    fail(failure);
  } finally {
    busy = false;
    submit.disabled = false;
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  if (form.hidden) return;  // not offered now (pairing runs, or is done): a late double submit
  const { host, code, label: environmentLabel, fromUrl } = readPairingForm(field("host").value, field("token").value);
  if (fromUrl && !host.trim()) return fail({ code: "missing_host" });  // a pasted link whose ?host= is empty
  // Show what a pasted URL was read as, so a retry starts from the split fields.
  field("host").value = host;
  field("token").value = code;
  pair({ host, code, label: field("label").value.trim(), environmentLabel });
});

const hostFromLink = query.get("host");
field("host").value = hostFromLink || "";
if (hostFromLink === null && tokenFromLink) {
  pair({ code: tokenFromLink });
} else if (hostFromLink !== null && !hostFromLink.trim()) {
  field("token").value = tokenFromLink || "";
  fail({ code: "missing_host" });
} else if (hostFromLink && !tokenFromLink) {
  askForCode(hostFromLink);
} else if (hostFromLink) {
  pair({ host: hostFromLink, code: tokenFromLink, label: nameFromLink, environmentLabel: query.get("label") || "" });
} else {
  say("Paste the pairing URL, or enter the server's address and its pairing code.",
    "Leave the address empty to pair with this server. `python manage.py pair` on a server prints a new link.");
  form.hidden = false;
}
