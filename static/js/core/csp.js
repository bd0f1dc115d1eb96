// What a page's scripts may reach (t3site/csp.py): this server, and, on the pages that talk to other
// t3site backends (the app, /pair, /environments), the backends the page's own address names with
// `?host=ORIGIN`. This server cannot see which backends this browser saved (they live in its
// storage), so a page that needs one its address does not name loads itself again naming it.
import { normalizeOrigin } from "./origins.js";

function origin(text) {
  try {
    return normalizeOrigin(text, window.location.protocol);
  } catch {
    return null;
  }
}

// Return whether this page's scripts may reach the backend at `httpBaseUrl`.
export function mayReach(httpBaseUrl) {
  const wanted = origin(httpBaseUrl);
  if (wanted === window.location.origin) return true;
  return new URLSearchParams(window.location.search).getAll("host").some((named) => origin(named) === wanted);
}

// Return `url` (a path and query of this server) with every origin of `httpBaseUrls` named as `host`.
export function naming(url, httpBaseUrls) {
  const target = new URL(url, window.location.origin);
  const named = new Set(target.searchParams.getAll("host").map(origin));
  for (const httpBaseUrl of httpBaseUrls) {
    const wanted = origin(httpBaseUrl);
    if (wanted && wanted !== window.location.origin && !named.has(wanted)) {
      target.searchParams.append("host", wanted);
      named.add(wanted);
    }
  }
  return target.pathname + target.search + target.hash;
}

// Return true when this page may reach every backend of `httpBaseUrls` (an address that is not one
// is left to fail where it is used). Otherwise load the page again with them named (replacing this
// history entry) and return false: the caller stops there.
export function reachOrReload(httpBaseUrls) {
  const here = window.location.pathname + window.location.search + window.location.hash;
  const wanted = naming(here, httpBaseUrls);
  if (wanted === here) return true;
  window.location.replace(wanted);
  return false;
}
