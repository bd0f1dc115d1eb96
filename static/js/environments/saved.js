// Saved environments (docs/contract.md §7), for every page of the web client.
//
// An environment lives in this browser's storage (with the bearer token this browser paired),
// in this server's list (/api/environments, never with a token), or both. The app connects to
// any of them with the same Backend/RpcSocket code it uses for its own server: backendFor(), or, for
// one this server holds a credential for and this browser does not, through this server's relay
// (docs/contract.md §8, environments/relay.js): throughRelay().
import { Backend, itemPath, PATHS } from "../core/api.js";
import { mayReach, naming } from "../core/csp.js";
import { pageUrl } from "../core/urls.js";
import { isMixedContent, wsBaseUrl } from "./hosts.js";

const STORAGE_KEY = "t3site.environments";
// Sessions this browser no longer keeps, to log out from a page that may reach their backend.
const LOGOUTS_KEY = "t3site.logouts";
// A session unused this long has ended by itself (T3SITE_SESSION_IDLE_TTL's default): stop trying.
const LOGOUT_GIVE_UP_MS = 30 * 24 * 3600 * 1000;

// The `serve` process opens the forward of an SSH environment within seconds of starting (it checks
// every 5 s): until then, a page looks again rather than call it unreachable.
const SSH_RECHECK_MS = 2000;
const SSH_RECHECKS = 10;

// Return `check()`'s finding for the environment, looked at again while an SSH environment's forward is
// still opening: `waiting()` is called before each wait; `stillWanted()` false stops looking (its row went).
export async function checkPastForwarding(environment, check, waiting, stillWanted = () => true) {
  let found = await check();
  for (let left = SSH_RECHECKS; left > 0 && found.status === "unreachable" && environment.kind === "ssh"
    && stillWanted(); left -= 1) {
    waiting();
    await new Promise((resolve) => { setTimeout(resolve, SSH_RECHECK_MS); });
    found = await check();
  }
  return found;
}

export const WHERE_BROWSER = "browser";
export const WHERE_SERVER = "server";
export const WHERE_BOTH = "both";

function newId() {
  // crypto.randomUUID needs a secure context; a LAN page over http is not one.
  return Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, "0")).join("");
}

function readStore() {
  try {
    const data = JSON.parse(localStorage.getItem(STORAGE_KEY) || "{}");
    return data && typeof data === "object" && !Array.isArray(data) ? data : {};
  } catch {
    return {};
  }
}

function writeStore(entries) {
  localStorage.setItem(STORAGE_KEY, JSON.stringify(entries));
}

function readLogouts() {
  try {
    const data = JSON.parse(localStorage.getItem(LOGOUTS_KEY) || "[]");
    return Array.isArray(data) ? data : [];
  } catch {
    return [];
  }
}

function writeLogouts(logouts) {
  if (logouts.length) localStorage.setItem(LOGOUTS_KEY, JSON.stringify(logouts));
  else localStorage.removeItem(LOGOUTS_KEY);
}

function publicRecord(entry) {
  const { sessionToken, sessionId, role, scopes, ...record } = entry;
  return record;
}

// Save a backend this browser just paired with, keyed by environmentId: pairing the same backend
// again replaces the entry's address, label and token. Return the record (without the token)
// and the token it replaced, if any, so the caller can log the old session out.
export function saveInBrowser({ environmentId, label, httpBaseUrl, sessionToken, sessionId, role, scopes }) {
  const entries = readStore();
  const previous = entries[environmentId];
  const now = new Date().toISOString();
  entries[environmentId] = {
    id: previous?.id || newId(),
    environmentId,
    label,
    httpBaseUrl,
    wsBaseUrl: wsBaseUrl(httpBaseUrl),
    kind: "direct",
    createdAt: previous?.createdAt || now,
    lastConnectedAt: now,
    sessionToken,
    sessionId,
    role,
    scopes,
  };
  writeStore(entries);
  const replaced = previous && previous.sessionToken !== sessionToken ? previous : null;
  return { record: publicRecord(entries[environmentId]), replaced };
}

// Return the environment this browser saved at `httpBaseUrl` (without its token), or null.
export function savedInBrowserAt(httpBaseUrl) {
  const entry = Object.values(readStore()).find((saved) => saved.httpBaseUrl === httpBaseUrl);
  return entry ? publicRecord(entry) : null;
}

// Return the environment this browser saved as `environmentId` (without its token), or null.
export function savedInBrowser(environmentId) {
  const entry = readStore()[environmentId];
  return entry ? publicRecord(entry) : null;
}

// Return this browser's session on the server that serves the page, or null when it has none.
export async function sessionHere() {
  try {
    const session = await new Backend().session();
    return session.authenticated ? session : null;
  } catch {
    return null;
  }
}

// Add the environment to this server's list too (no token). Return whether it was.
export async function saveOnServer(record) {
  const session = await sessionHere();
  if (!session || !session.scopes.includes("write")) return false;
  const { environmentId, label, httpBaseUrl, wsBaseUrl: ws, kind } = record;
  await new Backend().request("POST", PATHS.environments, { environmentId, label, httpBaseUrl, wsBaseUrl: ws, kind });
  return true;
}

// This server's list, or [] when this browser has no session here (or one without read).
async function serverList() {
  try {
    return (await new Backend().request("GET", PATHS.environments)).environments;
  } catch {
    return [];
  }
}

// Return every saved environment, merged by environmentId and sorted by label. Each has the
// contract's fields plus `where` ("browser", "server" or "both") and `paired` (this browser holds
// a token for it). Tokens are never part of the list.
//
// A token this browser holds is bound to the address it was paired at: a server row never changes
// a browser entry's address (anyone with `write` there could have saved it). When the server's
// address for the same environmentId differs, both are listed and the server's carries
// `addressDiffers: true`; this browser's token is never sent to it.
export async function listEnvironments() {
  const merged = [];
  const local = new Map();
  for (const entry of Object.values(readStore())) {
    const environment = { ...publicRecord(entry), where: WHERE_BROWSER, paired: Boolean(entry.sessionToken) };
    local.set(entry.environmentId, environment);
    merged.push(environment);
  }
  for (const row of await serverList()) {
    const mine = local.get(row.environmentId);
    if (!mine) {
      merged.push({ ...row, where: WHERE_SERVER, paired: false });
    } else if (mine.httpBaseUrl === row.httpBaseUrl && mine.wsBaseUrl === row.wsBaseUrl) {
      mine.where = WHERE_BOTH;
      if (row.relay) mine.relay = row.relay;
    } else {
      merged.push({ ...row, where: WHERE_SERVER, paired: false, addressDiffers: true });
    }
  }
  // Same label: this browser's entry first, so it is the one found by environmentId.
  return merged.sort((a, b) => a.label.localeCompare(b.label) || Boolean(a.addressDiffers) - Boolean(b.addressDiffers));
}

// Return the environment the app opens for `environmentId`: this browser's entry when it has one.
export async function findEnvironment(environmentId) {
  const all = (await listEnvironments()).filter((environment) => environment.environmentId === environmentId);
  return all.find((environment) => !environment.addressDiffers) || all[0] || null;
}

// Return a Backend for an environment, or null when this browser holds no credential for it.
// The token goes only to the address this browser paired it at (its own stored entry), never to
// an address from a listing. The page's own server needs none: its session cookie is the credential.
export function backendFor(environment) {
  const entry = readStore()[environment.environmentId];
  if (entry?.sessionToken && entry.httpBaseUrl === environment.httpBaseUrl) {
    return new Backend(entry.httpBaseUrl, entry.sessionToken);
  }
  if (environment.httpBaseUrl === window.location.origin) return new Backend();
  return null;
}

// Return whether the app opens the environment through this server's relay: this server holds a
// credential for it (its row says `relay`) and this browser holds none of its own, which it prefers.
export function throughRelay(environment) {
  return Boolean(environment.relay) && !backendFor(environment);
}

// Note that the environment was just connected to (shown as lastConnectedAt).
export function markConnected(environment) {
  const entries = readStore();
  if (!entries[environment.environmentId]) return;
  entries[environment.environmentId].lastConnectedAt = new Date().toISOString();
  writeStore(entries);
}

// Tell why a fetch to `httpBaseUrl` failed, as far as a browser can: "mixed_content" (known
// without asking), "unreachable_cors" (a no-cors request gets through, so something answers
// but refuses this page), or "unreachable_network" (nothing answers: down, wrong port,
// another network, or an https certificate the browser does not trust).
export async function whyUnreachable(httpBaseUrl) {
  if (isMixedContent(window.location.protocol, httpBaseUrl)) return "mixed_content";
  try {
    await fetch(httpBaseUrl + PATHS.descriptor, { mode: "no-cors", credentials: "omit", cache: "no-store" });
    return "unreachable_cors";
  } catch {
    return "unreachable_network";
  }
}

// Fetch the environment's descriptor and compare its environmentId with the saved one.
// → { status: "reachable", descriptor } | { status: "changed", descriptor } | { status: "unreachable", reason }
// "changed" means another server now answers at this address: it is reported, never accepted.
export async function checkDescriptor(environment) {
  let descriptor;
  try {
    descriptor = await new Backend(environment.httpBaseUrl).descriptor();
  } catch (error) {
    const reason = error.code === "network" ? await whyUnreachable(environment.httpBaseUrl) : "not_a_backend";
    return { status: "unreachable", reason };
  }
  if (!descriptor || typeof descriptor.environmentId !== "string") return { status: "unreachable", reason: "not_a_backend" };
  if (descriptor.environmentId !== environment.environmentId) return { status: "changed", descriptor };
  return { status: "reachable", descriptor };
}

// Return the session this browser holds on the environment ({authenticated: false} without one, or
// when the backend says so). Throws when the backend does not answer: that says nothing about it.
export async function checkSession(environment) {
  const backend = backendFor(environment);
  if (!backend) return { authenticated: false };
  return backend.session();
}

// An entry flagged `addressDiffers` is only this server's row: this browser's own entry for the
// same environmentId is left alone.
const inThisBrowser = (environment) => environment.where !== WHERE_SERVER;

export async function rename(environment, label) {
  const entries = readStore();
  if (inThisBrowser(environment) && entries[environment.environmentId]) {
    entries[environment.environmentId].label = label;
    writeStore(entries);
  }
  if (environment.where !== WHERE_BROWSER) {
    await new Backend().request("PATCH", itemPath(PATHS.environments, environment.environmentId), { label });
  }
}

// Forget the environment here and on this server's list, and log this browser's session on it
// out (best effort): a removed entry must not leave a live credential behind.
export async function remove(environment) {
  const backend = inThisBrowser(environment) ? backendFor(environment) : null;
  if (inThisBrowser(environment)) {
    const entries = readStore();
    delete entries[environment.environmentId];
    writeStore(entries);
  }
  try {
    if (environment.where !== WHERE_BROWSER) {
      await new Backend().request("DELETE", itemPath(PATHS.environments, environment.environmentId));
    }
  } finally {
    // Even when this server refuses to drop its row (an SSH one needs admin), the token is gone here.
    if (backend?.sessionToken) await backend.logout().catch(() => null);
  }
}

// Log out a session this browser no longer keeps (after pairing the same backend again). When this
// page may not reach its address (the backend was paired again at another one), it waits in this
// browser's storage for the /environments page, which may: flushLogouts().
export function logOutReplaced(replaced) {
  if (!replaced?.sessionToken) return Promise.resolve();
  if (!mayReach(replaced.httpBaseUrl)) {
    const { httpBaseUrl, sessionToken } = replaced;
    writeLogouts([...readLogouts(), { httpBaseUrl, sessionToken, since: Date.now() }]);
    return Promise.resolve();
  }
  return new Backend(replaced.httpBaseUrl, replaced.sessionToken).logout().catch(() => null);
}

// Log out the sessions logOutReplaced() left waiting. One the backend answered for (logged out, or
// already ended) is forgotten; one it did not answer for is tried again next time, for 30 days.
export async function flushLogouts() {
  const waiting = readLogouts();
  const left = [];
  for (const logout of waiting) {
    if (!mayReach(logout.httpBaseUrl)) {
      left.push(logout);
      continue;
    }
    try {
      await new Backend(logout.httpBaseUrl, logout.sessionToken).logout();
    } catch (error) {
      if (error.status === 0 && Date.now() - logout.since < LOGOUT_GIVE_UP_MS) left.push(logout);
    }
  }
  // Another tab may have added one meanwhile: keep those too.
  const tried = new Set(waiting.map((logout) => logout.sessionToken));
  writeLogouts([...left, ...readLogouts().filter((logout) => !tried.has(logout.sessionToken))]);
}

// Return the addresses of the backends this browser holds a credential for (saved environments and
// sessions waiting to be logged out): the ones the /environments page must be allowed to reach.
export function backendsInThisBrowser() {
  const addresses = [...Object.values(readStore()).map((entry) => entry.httpBaseUrl),
    ...readLogouts().map((logout) => logout.httpBaseUrl)];
  return [...new Set(addresses.filter((address) => typeof address === "string"))];
}

// The app opened on a saved environment. Its address is named too, so the page may reach it; not
// when it is opened through this server, which is all the page then reaches.
export function appUrl(environment) {
  const app = `${pageUrl("app")}?environment=${encodeURIComponent(environment.environmentId)}`;
  return throughRelay(environment) ? app : naming(app, [environment.httpBaseUrl]);
}
