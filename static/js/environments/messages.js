// What the pairing pages say for every failure: what happened, and what to do next.
// Pure, so every entry is unit-tested (tests/environments/js/messages.test.mjs). Commands are
// marked with backticks; the pages show them as <code> (showText, core/dom.js).

// Said only when the caller knows a pairing code is waiting, unused (the /pair page stopped before
// sending it). A failure without a code (a saved environment that does not answer) never says it.
function unspent(failure) {
  return failure.codeUnspent ? " The code is not spent yet." : "";
}

function seconds(value) {
  const total = Math.max(1, Math.round(Number(value) || 600));
  if (total < 90) return `${total} seconds`;
  return `${Math.ceil(total / 60)} minutes`;
}

const MESSAGES = {
  missing_host: () => ({
    title: "This link does not say which server to pair with.",
    next: "Type the server's address and the pairing code below, or open the pairing URL the server printed.",
  }),
  missing_token: () => ({
    title: "This link has no pairing code.",
    next: "Paste the whole pairing URL, or type the code below. `python manage.py pair` on the server prints a new one.",
  }),
  bad_host: (f) => ({
    title: "That server address cannot be used.",
    next: f.message || "Give only the address, like http://192.168.1.20:3773.",
  }),
  malformed_token: () => ({
    title: "That is not a pairing code.",
    next: "A code is 12 letters and digits, like ABCD-EFGH-JKLM. Check it, or ask for a new link.",
  }),
  expired_token: () => ({
    title: "This pairing link has expired.",
    next: "Ask for a new link: links work for a few minutes (`python manage.py pair` on the server).",
  }),
  invalid_token: () => ({
    title: "This pairing link is not valid any more.",
    next: "It was used already or never existed. Ask for a new link.",
  }),
  rate_limited: (f) => ({
    title: "Too many failed attempts from this network.",
    next: `The server refuses new attempts for now: try again in ${seconds(f.retryAfter)}.`,
  }),
  mixed_content: (f) => ({
    title: `This page is served over https, so the browser will not let it call ${f.host}, which is http.`,
    next: `Open the server's own pairing page instead.${unspent(f)}`,
    link: f.directLink,
  }),
  unreachable_cors: (f) => ({
    title: `${f.host} answers, but does not let this page call it.`,
    next: "It is probably not a t3site server, or a proxy in front of it drops the CORS headers. Check the address and port.",
  }),
  unreachable_network: (f) => ({
    title: `${f.host || "The server"} cannot be reached.`,
    next: "Check that the server is running, that the address and port are right, and that this device is on its network or tailnet." + unspent(f),
  }),
  not_a_backend: (f) => ({
    title: `${f.host} answers, but it is not a t3site server.`,
    next: "Check the address and port: the server prints them as “Connection string”." + unspent(f),
  }),
  forbidden_origin: () => ({
    title: "This server only pairs its own pages this way.",
    next: "Open the pairing URL on the server's own address.",
  }),
};

// failure: { code, message?, retryAfter?, host?, directLink?, codeUnspent? } → { title, next, link? }
export function messageFor(failure) {
  const code = failure.code === "bad_request" ? "malformed_token" : failure.code === "network" ? "unreachable_network" : failure.code;
  const make = MESSAGES[code];
  if (make) return make(failure);
  return { title: "Pairing failed.", next: failure.message || "Try again, or ask for a new link." };
}

export const FAILURE_CODES = Object.keys(MESSAGES);

// Retry-After is not readable across origins (CORS does not expose it), so fall back to the
// seconds the server also writes into its message.
export function retryAfterOf(error) {
  if (error.retryAfter) return error.retryAfter;
  const match = /(\d+) seconds/.exec(error.message || "");
  return match ? Number(match[1]) : null;
}
