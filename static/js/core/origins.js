// The one way the web client reads an origin, `scheme://host[:port]`, as t3site/origins.py reads one.
// Pure: no DOM, no fetch, so `node --test` runs it (tests/js/).

const FORBIDDEN_CHARACTERS = /[\s\\\u0000-\u001f\u007f]/;

export class AddressError extends Error {
  constructor(message) {
    super(message);
    this.code = "bad_host";
  }
}

// Return `text` as a backend origin ("http://192.168.1.20:3773", "http://[::1]:3773").
// User info, paths, queries and fragments are refused, not dropped: a pasted address that has
// them is a mistake or a trick (http://good.example@evil.example), and a pairing token must go
// only where the user meant. A bare host:port gets `defaultScheme` ("http:" or "https:").
export function normalizeOrigin(text, defaultScheme = "http:") {
  text = (text || "").trim();
  if (!text) throw new AddressError("No server address was given. Use one like http://192.168.1.20:3773.");
  if (FORBIDDEN_CHARACTERS.test(text)) {
    throw new AddressError("A server address cannot contain spaces, backslashes or control characters.");
  }
  if (!text.includes("://")) text = `${defaultScheme}//${text}`;
  const scheme = text.slice(0, text.indexOf("://")).toLowerCase();
  if (scheme !== "http" && scheme !== "https") {
    throw new AddressError(`${scheme}:// is not supported: a server address starts with http:// or https://.`);
  }
  const rest = text.slice(scheme.length + 3);
  const authority = rest.split(/[/?#]/)[0];
  if (authority.includes("@")) {
    throw new AddressError("An address with a user name or password is refused: give only the scheme, host and port.");
  }
  if (authority.includes("%")) throw new AddressError("A server address cannot contain percent-escapes.");
  if (rest.slice(authority.length) !== "" && rest.slice(authority.length) !== "/") {
    throw new AddressError("Give only the address, like http://192.168.1.20:3773, without a path, query or fragment.");
  }
  let url;
  try {
    url = new URL(text);
  } catch {
    throw new AddressError(`${text} is not an address.`);
  }
  if (!url.hostname) throw new AddressError("The address has no host name.");
  // URL.origin lower-cases the host, keeps IPv6 brackets and drops default ports (:80, :443).
  return url.origin.replace(/\.(?=(:\d+)?$)/, "");
}
