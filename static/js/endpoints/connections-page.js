// The Connections page (templates/endpoints/connections.html): endpoints, the environments (the same
// switcher as /environments), network access, pairing links and devices. Every action goes through
// the documented HTTP API with this browser's cookie session.
import { Backend, itemPath, PATHS } from "../core/api.js";
import { busy, byId, describeError, el, showText } from "../core/dom.js";
import { Switcher } from "../environments/switcher.js";

const backend = new Backend();
let endpoints = [];
let networkAccess = null;

function say(message, kind = "") {
  const box = byId("connections-message");
  showText(box, message);
  box.dataset.kind = kind;
}

function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "never";
}

// Run an action, showing its error (Tailscale's own words included) at the top instead of failing silently.
const messageLine = { clear() {}, show: (error) => say(describeError(error), "bad") };
const act = (button, work) => busy(button, messageLine, work);

function statusPill(endpoint) {
  const kind = endpoint.status === "available" ? "good" : endpoint.status === "unavailable" ? "bad" : "warn";
  return el("span", { class: "pill", "data-kind": kind }, endpoint.status);
}

function endpointView(endpoint, wrapper = "li") {
  const actions = el("div", { class: "actions" });
  if (!endpoint.isDefault && endpoint.kind !== "loopback" && endpoint.status === "available") {
    const button = el("button", { type: "button", "data-action": "default" }, "Set as default");
    button.addEventListener("click", () => act(button, () => setDefault(endpoint.preferenceKey)));
    actions.append(button);
  }
  if (endpoint.canSetUp) {
    const button = el("button", { type: "button", "data-action": "setup" }, "Set up");
    // The answer is said at the top of the page, far above this row on a phone: go back up to it.
    button.addEventListener("click", () => act(button, setUpTailscale).then(() => window.scrollTo(0, 0)));
    actions.append(button);
  }
  return el(
    wrapper,
    { class: "endpoint", "data-kind": endpoint.kind, "data-id": endpoint.id },
    el("div", { class: "endpoint-head" }, el("strong", {}, endpoint.label), statusPill(endpoint),
      endpoint.isDefault ? el("span", { class: "pill" }, "default") : null),
    el("code", { class: "url" }, endpoint.httpBaseUrl),
    reasonView(endpoint),
    actions.childElementCount ? actions : null,
  );
}

function reasonView(endpoint) {
  const reason = el("small", { class: "reason" });
  showText(reason, `${endpoint.reachability} · ${endpoint.statusReason || ""}`);
  return reason;
}

function renderEndpoints(data) {
  endpoints = data.endpoints;
  networkAccess = data.networkAccess;
  const chosen = endpoints.find((e) => e.isDefault) || endpoints[0];
  const others = endpoints.filter((e) => e !== chosen);
  byId("endpoint-default").replaceChildren(chosen ? endpointView(chosen, "div") : "No endpoint found.");
  byId("endpoints-others").replaceChildren(...others.map((e) => endpointView(e)));
  renderMore();

  const tailscale = data.tailscale || {};
  byId("tailscale-message").hidden = !tailscale.message;
  showText(byId("tailscale-message"), tailscale.message ? `Tailscale: ${tailscale.message}` : "");

  const select = byId("link-endpoint");
  const previous = select.value;
  select.replaceChildren(...endpoints.map((e) => el("option", { value: e.id },
    `${e.label} — ${e.httpBaseUrl}${e.status === "available" ? "" : ` (${e.status})`}`)));
  // Follow the default until the owner picks an endpoint by hand.
  const keep = select.dataset.picked && endpoints.some((e) => e.id === previous);
  select.value = keep ? previous : chosen ? chosen.id : "";
  byId("link-create").disabled = endpoints.length === 0;
  renderNetwork();
}

// The "+N" control: the default endpoint shows; the N others expand below it.
function renderMore() {
  const more = byId("endpoints-more");
  const count = Math.max(endpoints.length - 1, 0);
  const open = more.getAttribute("aria-expanded") === "true";
  more.hidden = count === 0;
  more.textContent = open ? "Show fewer" : `+${count}`;
  more.title = `${count} other ways to reach this server`;
  byId("endpoints-others").hidden = !open;
}

function renderNetwork() {
  const access = networkAccess;
  const where = `${access.bindHost}:${access.port}`;
  byId("network-state").textContent = access.localOnly
    ? `Listening on ${where}: only this machine can connect.`
    : `Listening on ${where}: devices on your networks can connect (they still need a pairing link).`;
  const toggle = byId("network-toggle");
  const note = byId("network-note");
  toggle.hidden = !access.canChange;
  toggle.textContent = access.localOnly ? "Allow other devices" : "Only this machine";
  note.hidden = access.canChange;
  note.textContent = access.explicitHost
    ? `The server was started with --host ${access.bindHost}, so network access is fixed: restart it without --host to change it here.`
    : `Saved mode: ${access.mode}. It applies when the server starts.`;
}

async function loadEndpoints() {
  renderEndpoints(await backend.request("GET", PATHS.endpoints));
}

async function setDefault(preferenceKey) {
  renderEndpoints(await backend.request("POST", PATHS.defaultEndpoint, { preferenceKey }));
  say("Default endpoint saved.", "good");
}

async function setUpTailscale() {
  say("Setting up Tailscale Serve…");
  const data = await backend.request("POST", PATHS.tailscaleServe, {});
  renderEndpoints(data);
  // Serve answering is not enough: the HTTPS URL must reach this very server (see docs/endpoints.md).
  const check = data.verification || { ok: false, reason: "The server did not say whether it checked the URL." };
  if (check.ok) say(`Tailscale Serve now fronts this server at ${data.httpsUrl}: verified.`, "good");
  else say(`Tailscale Serve now sends ${data.httpsUrl} to this server, but it is not verified yet: ${check.reason}`);
}

async function toggleNetwork() {
  const mode = networkAccess.localOnly ? "network-accessible" : "local-only";
  if (mode === "local-only" && !["localhost", "127.0.0.1", "[::1]"].includes(window.location.hostname)) {
    if (!window.confirm("This browser reaches the server over the network and will lose the connection. Continue?")) return;
  }
  say("Moving the listener…");
  const data = await backend.request("POST", PATHS.networkAccess, { mode });
  networkAccess = data.networkAccess;
  await loadEndpoints();
  say(`Now listening on ${networkAccess.bindHost}:${networkAccess.port}.`, "good");
}

async function showQr(url) {
  const image = byId("link-qr");
  const response = await backend.send("POST", PATHS.qr, { text: url });
  if (!response.ok) throw new Error(`the QR code could not be drawn (HTTP ${response.status})`);
  if (image.src) URL.revokeObjectURL(image.src);
  image.src = URL.createObjectURL(await response.blob());
  image.hidden = false;
}

async function createLink(event) {
  event.preventDefault();
  const endpoint = endpoints.find((e) => e.id === byId("link-endpoint").value);
  if (!endpoint) throw new Error("choose how the device reaches this server first");
  const role = byId("link-role").value;
  // The server makes the link for the chosen endpoint (pairing/links.py), so this page never builds one.
  const body = { label: byId("link-label").value.trim(), ttl: byId("link-ttl").value, role, baseUrl: endpoint.httpBaseUrl };
  if (role === "client") {
    body.scopes = [...byId("link-scopes").querySelectorAll("input:checked")].map((box) => box.value);
    if (body.scopes.length === 0) throw new Error("a client link needs at least one kind of access");
  }
  const link = await backend.request("POST", PATHS.pairingLinks, body);
  const url = link.pairingUrl;
  byId("link-result").hidden = false;
  byId("link-url").value = url;
  byId("link-summary").textContent =
    `One use, until ${when(link.expiresAt)} · ${link.role}: ${link.scopes.join(", ")} · through ${endpoint.label}`;
  const note = byId("link-note");
  byId("link-qr").hidden = true;
  note.hidden = true;
  if (endpoint.kind === "loopback") {
    // A phone that scans a loopback URL would try to reach itself: no QR, only the link.
    note.hidden = false;
    note.textContent = "This link only works on this machine, so it has no QR code: copy it into a browser here. " +
      "For a phone, turn on network access or choose a network endpoint.";
  } else {
    if (endpoint.status !== "available") {
      note.hidden = false;
      showText(note, `Careful: ${endpoint.statusReason}`);
    }
    await showQr(url);
  }
  await loadLinks();
}

// One row of a list: a title (text or element), a line of facts, and its buttons.
function itemView(title, facts, ...actions) {
  return el("li", {}, el("div", { class: "item-text" }, el("strong", {}, title), el("small", {}, facts)),
    el("div", { class: "item-actions" }, ...actions));
}

function quoted(label, fallback) {
  return label ? `“${label}”` : fallback;
}

async function loadLinks() {
  const { pairingLinks } = await backend.request("GET", PATHS.pairingLinks);
  const shown = pairingLinks.filter((link) => link.state === "active").slice(0, 50);
  byId("links-list").replaceChildren(...shown.map((link) => {
    const revoke = el("button", { type: "button", class: "danger", "data-action": "revoke-link" }, "Revoke");
    revoke.addEventListener("click", () => act(revoke, async () => {
      if (!window.confirm(`Revoke the link ${quoted(link.label, link.id)}? Nobody can pair with it afterwards.`)) return;
      await backend.request("DELETE", itemPath(PATHS.pairingLinks, link.id));
      say(`The link ${quoted(link.label, link.id)} was revoked.`, "good");
      await loadLinks();
    }));
    return itemView(link.label || "(no name)", `${link.role}: ${link.scopes.join(", ")} · until ${when(link.expiresAt)}`, revoke);
  }));
  if (!shown.length) byId("links-list").replaceChildren(el("li", { class: "empty" }, "No unused links."));
}

// The row turns into a small form; Save renames the device through the API, Cancel redraws the list.
function startRename(item, session) {
  const input = el("input", { value: session.label, maxlength: "200", "aria-label": "Device name", "data-field": "device-name" });
  const save = el("button", { type: "submit", "data-action": "save-name" }, "Save");
  const cancel = el("button", { type: "button", class: "quiet" }, "Cancel");
  const form = el("form", { class: "rename" }, input, save, cancel);
  cancel.addEventListener("click", () => act(cancel, loadDevices));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    act(save, async () => {
      const label = input.value.trim();
      if (!label) throw new Error("a device needs a name");
      const renamed = await backend.request("PATCH", itemPath(PATHS.sessions, session.id), { label });
      say(`Renamed to ${quoted(renamed.label)}.`, "good");
      await loadDevices();
    });
  });
  item.replaceChildren(form);
  input.focus();
  input.select();
}

function deviceView(session) {
  const name = session.label || "(no name)";
  const title = el("span", { class: "device-name" }, name,
    session.current ? el("span", { class: "pill", "data-kind": "good" }, "this device") : null);
  const rename = el("button", { type: "button", class: "quiet", "data-action": "rename-device" }, "Rename");
  const actions = [rename];
  if (!session.current) {
    const revoke = el("button", { type: "button", class: "danger", "data-action": "revoke-device" }, "Revoke");
    revoke.addEventListener("click", () => act(revoke, async () => {
      if (!window.confirm(`Revoke ${quoted(session.label, "this device")}? It is cut off at once and needs a new pairing link to come back.`)) return;
      await backend.request("DELETE", itemPath(PATHS.sessions, session.id));
      say(`${quoted(session.label, "The device")} can no longer connect.`, "good");
      await loadDevices();
    }));
    actions.push(revoke);
  }
  // The link it paired with, when its name says more than the device's own (renamed since).
  const renamed = session.pairingLabel && session.pairingLabel !== session.label;
  const link = renamed ? ` · paired with the link ${quoted(session.pairingLabel)}` : "";
  const facts = `${session.role}: ${session.scopes.join(", ")} · ${session.clientIp || "unknown IP"} · last seen ${when(session.lastSeenAt)}${link}`;
  const item = itemView(title, facts, ...actions);
  item.dataset.id = session.id;
  if (session.current) item.dataset.current = "true";
  rename.addEventListener("click", () => startRename(item, session));
  return item;
}

async function loadDevices() {
  const { sessions } = await backend.request("GET", PATHS.sessions);
  byId("devices-list").replaceChildren(...sessions.map(deviceView));
}

async function revokeOthers() {
  if (!window.confirm("Revoke every device except this one? They will need new pairing links.")) return;
  const { revokedCount } = await backend.request("POST", PATHS.revokeOthers);
  say(`${revokedCount} other device${revokedCount === 1 ? "" : "s"} revoked.`, "good");
  await loadDevices();
}

function wire() {
  byId("endpoints-more").addEventListener("click", () => {
    const more = byId("endpoints-more");
    more.setAttribute("aria-expanded", String(more.getAttribute("aria-expanded") !== "true"));
    renderMore();
  });
  byId("network-toggle").addEventListener("click", (event) => act(event.currentTarget, toggleNetwork));
  byId("link-form").addEventListener("submit", (event) => act(byId("link-create"), () => createLink(event)));
  byId("link-endpoint").addEventListener("change", () => { byId("link-endpoint").dataset.picked = "1"; });
  byId("link-role").addEventListener("change", () => { byId("link-scopes").hidden = byId("link-role").value !== "client"; });
  byId("link-copy").addEventListener("click", async () => {
    byId("link-url").select();
    await navigator.clipboard?.writeText(byId("link-url").value).catch(() => {});
    say("Link copied.", "good");
  });
  byId("devices-revoke-others").addEventListener("click", (event) => act(event.currentTarget, revokeOthers));
}

wire();
// This page reaches only this server (t3site/csp.py): environments this browser reaches directly are
// listed, and checked on /environments; the ones this server holds are checked through it.
new Switcher({
  here: byId("environments-here"), list: byId("environments-list"), status: byId("environments-status"),
  checksDirect: false,
}).load();
act(null, async () => {
  say("Looking for endpoints…");
  await Promise.all([loadEndpoints(), loadLinks(), loadDevices()]);
  say("");
});
