// The Connections page: endpoints, network access, pairing links and devices.
// Every action goes through the documented HTTP API with this browser's cookie session.
import { Backend } from "./core/api.js";
import { showText } from "./core/text.js";

const $ = (id) => document.getElementById(id);
const backend = new Backend();
let endpoints = [];
let networkAccess = null;

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null && value !== false) node.setAttribute(name, value === true ? "" : value);
  }
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

function say(message, kind = "") {
  const box = $("connections-message");
  showText(box, message);
  box.dataset.kind = kind;
}

function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "never";
}

// Run an action, showing its error (Tailscale's own words included) instead of failing silently.
async function act(button, work) {
  if (button) button.disabled = true;
  try {
    await work();
  } catch (error) {
    say(error.message, "bad");
  } finally {
    if (button) button.disabled = false;
  }
}

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
  $("endpoint-default").replaceChildren(chosen ? endpointView(chosen, "div") : "No endpoint found.");
  $("endpoints-others").replaceChildren(...others.map((e) => endpointView(e)));
  renderMore();

  const tailscale = data.tailscale || {};
  $("tailscale-message").hidden = !tailscale.message;
  showText($("tailscale-message"), tailscale.message ? `Tailscale: ${tailscale.message}` : "");

  const select = $("link-endpoint");
  const previous = select.value;
  select.replaceChildren(...endpoints.map((e) => el("option", { value: e.id },
    `${e.label} — ${e.httpBaseUrl}${e.status === "available" ? "" : ` (${e.status})`}`)));
  // Follow the default until the owner picks an endpoint by hand.
  const keep = select.dataset.picked && endpoints.some((e) => e.id === previous);
  select.value = keep ? previous : chosen ? chosen.id : "";
  renderNetwork();
}

// The "+N" control: the default endpoint shows; the N others expand below it.
function renderMore() {
  const more = $("endpoints-more");
  const count = Math.max(endpoints.length - 1, 0);
  const open = more.getAttribute("aria-expanded") === "true";
  more.hidden = count === 0;
  more.textContent = open ? "Show fewer" : `+${count}`;
  more.title = `${count} other ways to reach this server`;
  $("endpoints-others").hidden = !open;
}

function renderNetwork() {
  const access = networkAccess;
  const where = `${access.bindHost}:${access.port}`;
  $("network-state").textContent = access.localOnly
    ? `Listening on ${where}: only this machine can connect.`
    : `Listening on ${where}: devices on your networks can connect (they still need a pairing link).`;
  const toggle = $("network-toggle");
  const note = $("network-note");
  toggle.hidden = !access.canChange;
  toggle.textContent = access.localOnly ? "Allow other devices" : "Only this machine";
  note.hidden = access.canChange;
  note.textContent = access.explicitHost
    ? `The server was started with --host ${access.bindHost}, so network access is fixed: restart it without --host to change it here.`
    : `Saved mode: ${access.mode}. It applies when the server starts.`;
}

async function loadEndpoints() {
  renderEndpoints(await backend.request("GET", "/api/endpoints"));
}

async function setDefault(preferenceKey) {
  renderEndpoints(await backend.request("POST", "/api/endpoints/default", { preferenceKey }));
  say("Default endpoint saved.", "good");
}

async function setUpTailscale() {
  say("Setting up Tailscale Serve…");
  const data = await backend.request("POST", "/api/endpoints/tailscale-serve", {});
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
  const data = await backend.request("POST", "/api/endpoints/network-access", { mode });
  networkAccess = data.networkAccess;
  await loadEndpoints();
  say(`Now listening on ${networkAccess.bindHost}:${networkAccess.port}.`, "good");
}

async function showQr(url) {
  const image = $("link-qr");
  const response = await fetch("/api/endpoints/qr", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ text: url }),
    credentials: "same-origin",
    cache: "no-store",
  });
  if (!response.ok) throw new Error(`the QR code could not be drawn (HTTP ${response.status})`);
  if (image.src) URL.revokeObjectURL(image.src);
  image.src = URL.createObjectURL(await response.blob());
  image.hidden = false;
}

async function createLink(event) {
  event.preventDefault();
  const endpoint = endpoints.find((e) => e.id === $("link-endpoint").value);
  if (!endpoint) throw new Error("choose how the device reaches this server first");
  const role = $("link-role").value;
  // The server makes the link for the chosen endpoint (pairing/links.py), so this page never builds one.
  const body = { label: $("link-label").value.trim(), ttl: $("link-ttl").value, role, baseUrl: endpoint.httpBaseUrl };
  if (role === "client") {
    body.scopes = [...$("link-scopes").querySelectorAll("input:checked")].map((box) => box.value);
    if (body.scopes.length === 0) throw new Error("a client link needs at least one kind of access");
  }
  const link = await backend.request("POST", "/api/auth/pairing-links", body);
  const url = link.pairingUrl;
  $("link-result").hidden = false;
  $("link-url").value = url;
  $("link-summary").textContent =
    `One use, until ${when(link.expiresAt)} · ${link.role}: ${link.scopes.join(", ")} · through ${endpoint.label}`;
  const note = $("link-note");
  $("link-qr").hidden = true;
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
  const { pairingLinks } = await backend.request("GET", "/api/auth/pairing-links");
  const shown = pairingLinks.filter((link) => link.state === "active").slice(0, 50);
  $("links-list").replaceChildren(...shown.map((link) => {
    const revoke = el("button", { type: "button", class: "danger", "data-action": "revoke-link" }, "Revoke");
    revoke.addEventListener("click", () => act(revoke, async () => {
      if (!window.confirm(`Revoke the link ${quoted(link.label, link.id)}? Nobody can pair with it afterwards.`)) return;
      await backend.request("DELETE", `/api/auth/pairing-links/${link.id}`);
      say(`The link ${quoted(link.label, link.id)} was revoked.`, "good");
      await loadLinks();
    }));
    return itemView(link.label || "(no name)", `${link.role}: ${link.scopes.join(", ")} · until ${when(link.expiresAt)}`, revoke);
  }));
  if (!shown.length) $("links-list").replaceChildren(el("li", { class: "empty" }, "No unused links."));
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
      const renamed = await backend.request("PATCH", `/api/auth/sessions/${session.id}`, { label });
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
      await backend.request("DELETE", `/api/auth/sessions/${session.id}`);
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
  const { sessions } = await backend.request("GET", "/api/auth/sessions");
  $("devices-list").replaceChildren(...sessions.map(deviceView));
}

async function revokeOthers() {
  if (!window.confirm("Revoke every device except this one? They will need new pairing links.")) return;
  const { revokedCount } = await backend.request("POST", "/api/auth/sessions/revoke-others");
  say(`${revokedCount} other device${revokedCount === 1 ? "" : "s"} revoked.`, "good");
  await loadDevices();
}

function wire() {
  $("endpoints-more").addEventListener("click", () => {
    const more = $("endpoints-more");
    more.setAttribute("aria-expanded", String(more.getAttribute("aria-expanded") !== "true"));
    renderMore();
  });
  $("network-toggle").addEventListener("click", (event) => act(event.currentTarget, toggleNetwork));
  $("link-form").addEventListener("submit", (event) => act($("link-create"), () => createLink(event)));
  $("link-endpoint").addEventListener("change", () => { $("link-endpoint").dataset.picked = "1"; });
  $("link-role").addEventListener("change", () => { $("link-scopes").hidden = $("link-role").value !== "client"; });
  $("link-copy").addEventListener("click", async () => {
    $("link-url").select();
    await navigator.clipboard?.writeText($("link-url").value).catch(() => {});
    say("Link copied.", "good");
  });
  $("devices-revoke-others").addEventListener("click", (event) => act(event.currentTarget, revokeOthers));
}

wire();
act(null, async () => {
  say("Looking for endpoints…");
  await Promise.all([loadEndpoints(), loadLinks(), loadDevices()]);
  say("");
});
