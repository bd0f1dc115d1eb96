// The /pair page, direct form: /pair#token=CODE pairs this browser with this server.
import { Backend } from "./api.js";

const TOKEN_PATTERN = /^[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{12}$/;

// Read the token, then take it out of the address bar and history before anything
// else runs: no request, referrer or later page can see it.
const fragment = new URLSearchParams(window.location.hash.slice(1));
const tokenFromLink = fragment.get("token");
if (window.location.hash) {
  history.replaceState(null, "", window.location.pathname + window.location.search);
}

const status = document.getElementById("pair-status");
const next = document.getElementById("pair-next");
const form = document.getElementById("pair-form");
let busy = false;

function normalize(code) {
  return (code || "").replace(/[\s-]+/g, "").toUpperCase();
}

function say(message, hint = "") {
  status.textContent = message;
  next.textContent = hint;
  next.hidden = !hint;
}

function messageFor(error) {
  switch (error.code) {
    case "expired_token": return ["This pairing link has expired.", "Ask for a new link: links work for a few minutes."];
    case "invalid_token": return ["This pairing link is not valid any more.", "It may have been used already. Ask for a new link."];
    case "bad_request": return ["That is not a pairing code.", "A code is 12 letters and digits, like ABCD-EFGH-JKLM."];
    case "rate_limited": return ["Too many failed attempts from this network.", `Try again in ${error.retryAfter || 600} seconds.`];
    case "network": return ["The server cannot be reached.", "Check that it is running and that this device is on its network."];
    default: return ["Pairing failed.", error.message];
  }
}

async function pair(rawCode, label) {
  if (busy) return;  // a double submit must not spend the token twice
  const code = normalize(rawCode);
  if (!TOKEN_PATTERN.test(code)) {
    say(...messageFor({ code: "bad_request" }));
    form.hidden = false;
    return;
  }
  busy = true;
  say("Pairing…");
  try {
    await new Backend().request("POST", "/api/auth/pair", { token: code, mode: "cookie", label: label || defaultLabel() });
    say("Paired. Opening the app…");
    window.location.replace("/");
  } catch (error) {
    say(...messageFor(error));
    form.hidden = false;
  } finally {
    busy = false;
  }
}

function defaultLabel() {
  const ua = navigator.userAgent;
  const device = /iPhone|iPad|Android/.exec(ua)?.[0] || (/Mac/.test(ua) ? "Mac" : /Windows/.test(ua) ? "Windows" : "Linux");
  const browser = /Firefox|Edg|Chrome|Safari/.exec(ua)?.[0] || "browser";
  return `${browser} on ${device}`;
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  pair(document.getElementById("pair-token").value, document.getElementById("pair-label").value.trim());
});

if (tokenFromLink) {
  pair(tokenFromLink, "");
} else {
  say("Enter the pairing code shown by the server.", "Run `python manage.py pair` on the server to get one.");
  form.hidden = false;
}
