// Which backend the app opens: this server through its session cookie, or the saved environment
// named by ?environment=<environmentId> through the credential this browser keeps for it, sent only
// to the address this browser paired at (this server's list cannot move it: environments/saved.js).
// A saved environment is checked before anything is sent to it: another server answering at the
// saved address is reported, never connected to.
// One this browser holds no credential for, but this server does (its row says `relay`), opens through
// this server (docs/contract.md §8): the browser then reaches only this server, never the saved address.
import { Backend, PATHS } from "../core/api.js";
import { reachOrReload } from "../core/csp.js";
import { pageUrl } from "../core/urls.js";
import {
  backendFor, checkDescriptor, checkPastForwarding, findEnvironment, markConnected, remove, savedInBrowser,
  throughRelay,
} from "../environments/saved.js";
import { messageFor } from "../environments/messages.js";
import { checkThroughRelay, relayBackend, sentence, viaHere } from "../environments/relay.js";

// This server's /pair page, set to pair with the backend at `httpBaseUrl` again (a code is typed there).
const pairAgainUrl = (httpBaseUrl) => `${pageUrl("pair")}?host=${encodeURIComponent(httpBaseUrl)}`;

const hostOf = (httpBaseUrl) => httpBaseUrl.replace(/^https?:\/\//, "");

// → { backend, options } for WorkspaceApp, or { blocked: { place, pill, title, next, links } }.
// `waiting(text)` is told what the page waits for, while it does.
export async function openTarget(environmentId, waiting = () => {}) {
  if (environmentId === null) {
    return { backend: new Backend(), options: { place: { label: "", host: window.location.host } } };
  }
  // The page may reach only the backends its address names (t3site/csp.py): name the one this browser
  // saved before anything else is fetched (and one only this server saved, once it is known, below).
  const mine = savedInBrowser(environmentId);
  if (mine && !reachOrReload([mine.httpBaseUrl])) return new Promise(() => {});  // the page loads again
  const environment = await findEnvironment(environmentId);
  if (!environment) {
    return blocked({ label: "unknown environment", host: "" }, "not saved",
      "This environment is not saved in this browser.",
      "Browser storage belongs to one address: open it from the list of saved environments here, or pair with it again.");
  }
  if (throughRelay(environment)) return openThroughRelay(environment, waiting);
  if (!reachOrReload([environment.httpBaseUrl])) return new Promise(() => {});
  const place = { label: environment.label, host: hostOf(environment.httpBaseUrl) };
  const pairAgain = { href: pairAgainUrl(environment.httpBaseUrl), text: "Pair again" };
  const check = await checkDescriptor(environment);
  if (check.status === "changed") {
    const { label, environmentId: found } = check.descriptor;
    return blocked(place, "environment changed",
      `Another server (${label}, ${found}) now answers at ${environment.httpBaseUrl}.`,
      `Its environmentId is not the saved ${environment.environmentId}, so t3site does not connect to it. `
        + "If it is the server you want, pair with it again.",
      pairAgain);
  }
  if (check.status === "unreachable") {
    const { title, next, link } = messageFor({
      code: check.reason, host: environment.httpBaseUrl, directLink: environment.httpBaseUrl + PATHS.pairingPage,
    });
    return blocked(place, "unreachable", title, next, link ? { href: link, text: link } : null);
  }
  const backend = backendFor(environment);
  if (!backend) {
    return blocked(place, "not paired", `This browser holds no session on ${environment.label}.`,
      "It is saved on this server, but pairing happened in another browser: pair this one too.", pairAgain);
  }
  markConnected(environment);
  return {
    backend,
    options: {
      place,
      pairUrl: pairAgainUrl(environment.httpBaseUrl),
      // Logging out of a saved environment also forgets it: its entry would only hold a dead token.
      forget: () => remove(environment),
    },
  };
}

// This server opens the environment with the credential it holds; the device's own scopes here still
// bound what it may do there. Pairing this browser is never the answer to a problem on this path.
async function openThroughRelay(environment, waiting) {
  const place = { label: environment.label, host: viaHere() };
  // Right after this server starts, an SSH environment's forward is not open yet: wait for it, as the
  // saved environments page does, rather than call the machine unreachable.
  const check = await checkPastForwarding(environment, () => checkThroughRelay(environment),
    () => waiting(`Waiting for this server to open its SSH forward to ${environment.label}…`));
  waiting("");
  if (check.status === "changed") {
    const { label, environmentId: found } = check.descriptor;
    return blocked(place, "environment changed",
      `Another server (${label}, ${found}) now answers where this server reaches ${environment.label}.`,
      `Its environmentId is not the saved ${environment.environmentId}, so t3site does not connect to it. `
        + "This server's owner can pair it again (manage.py environments add).");
  }
  if (check.status === "unreachable") {
    return blocked(place, "unreachable", `${environment.label} cannot be reached through this server.`,
      sentence(check.message), { href: window.location.href, text: "Try again" });
  }
  return { backend: relayBackend(environment), options: { place } };
}

function blocked(place, pill, title, next, link = null) {
  const links = [link, { href: pageUrl("environments"), text: "Saved environments" }].filter(Boolean);
  return { blocked: { place, pill, title, next, links } };
}
