// Pairing codes, pairing URLs and saved environments' addresses, checked the same way as
// environments/hosts.py (an address itself is read by core/origins.js, as t3site/origins.py reads one).
// Pure: no DOM, no fetch, so `node --test` runs it (tests/environments/js/).
import { PATHS } from "../core/api.js";

export const PAIRING_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
const CODE_PATTERN = new RegExp(`^[${PAIRING_ALPHABET}]{12}$`);

export function wsBaseUrl(httpBaseUrl) {
  return httpBaseUrl.replace(/^http/, "ws");
}

// Return the canonical code (upper case, spaces and dashes removed), or null when it is not one.
export function normalizeCode(text) {
  const code = (text || "").replace(/[\s-]+/g, "").toUpperCase();
  return CODE_PATTERN.test(code) ? code : null;
}

export function isLoopback(origin) {
  const { hostname } = new URL(origin);
  return hostname === "localhost" || hostname.endsWith(".localhost") || hostname === "[::1]"
    || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

// An https page may not call an http server (mixed content), except on this machine's
// loopback addresses, which browsers treat as trustworthy. Known before any request is made.
export function isMixedContent(pageProtocol, origin) {
  return pageProtocol === "https:" && origin.startsWith("http:") && !isLoopback(origin);
}

// The backend's own pairing page: opened directly (over http) it pairs without mixed content.
export function directPairingLink(origin, code) {
  return `${origin}${PATHS.pairingPage}#token=${code}`;
}

// Return { host, code, label } when `text` is a whole pairing URL, else null. As
// environments/hosts.py's parse_pairing_url: http://HOST:PORT/pair#token=CODE names the server it
// points at, .../pair?host=URL#token=CODE[&label] names its `host` parameter. The host is returned
// as written (normalizeOrigin checks it later, refusing user info): never a URL object's reading of
// it, which would quietly drop the "good.example@" of http://good.example@evil.example.
export function parsePairingUrl(text) {
  text = (text || "").trim();
  const scheme = /^(https?):\/\//i.exec(text)?.[1];
  if (!scheme) return null;
  const rest = text.slice(scheme.length + 3);
  const authority = rest.split(/[/?#]/)[0];
  const [pathAndQuery, fragment = ""] = rest.slice(authority.length).split(/#(.*)/s);
  const [path, query = ""] = pathAndQuery.split(/\?(.*)/s);
  if (path.replace(/\/+$/, "") !== PATHS.pairingPage) return null;
  const params = new URLSearchParams(query);
  return {
    host: params.has("host") ? params.get("host") : `${scheme}://${authority}`,
    code: new URLSearchParams(fragment).get("token") || "",
    label: params.get("label") || "",
  };
}

// The /pair form's address and code fields, either of which may hold the whole pairing URL
// (people paste the link a server printed). Return { host, code, label } as the form means them;
// a URL without a code takes the code from the other field.
export function readPairingForm(hostText, codeText) {
  const inHost = parsePairingUrl(hostText);
  const link = inHost || parsePairingUrl(codeText);
  if (!link) return { host: (hostText || "").trim(), code: codeText || "", label: "", fromUrl: false };
  const otherField = inHost ? codeText : hostText;
  return { ...link, code: link.code || (parsePairingUrl(otherField) ? "" : otherField || ""), fromUrl: true };
}

// Return an origin without its scheme: "192.168.1.20:3773", "box.tail1234.ts.net".
export function addressOf(origin) {
  return origin.slice(origin.indexOf("://") + 3);
}

// Name a saved environment its user did not name, as environments/hosts.py's default_label: the
// backend's own label (its host name) alone is also what the header shows for this server when
// both run on one machine, and two servers on one host share it. "vm · 192.168.1.20:3773".
export function defaultLabel(name, where) {
  name = typeof name === "string" ? name.trim() : "";  // a backend's descriptor is not trusted to be well-formed
  return name && name !== where ? `${name} · ${where}` : where;
}
