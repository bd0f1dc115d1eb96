// Host normalization and codes, as the /pair page checks them before any request.
import assert from "node:assert/strict";
import { test } from "node:test";

import { directPairingLink, isMixedContent, normalizeCode, normalizeHost, wsBaseUrl } from "../../../static/js/pairing/hosts.js";

test("it keeps a plain origin and takes a bare host:port as http", () => {
  assert.equal(normalizeHost("http://192.168.1.20:3773"), "http://192.168.1.20:3773");
  assert.equal(normalizeHost("  192.168.1.20:3773  "), "http://192.168.1.20:3773");
  assert.equal(normalizeHost("box.tail1234.ts.net", "https:"), "https://box.tail1234.ts.net");
});

test("it lower-cases the host, drops default ports and one trailing slash", () => {
  assert.equal(normalizeHost("HTTP://Example.COM:80/"), "http://example.com");
  assert.equal(normalizeHost("https://example.com:443"), "https://example.com");
  assert.equal(normalizeHost("https://example.com:8443/"), "https://example.com:8443");
});

test("it keeps IPv6 addresses in brackets, compressed", () => {
  assert.equal(normalizeHost("http://[::1]:3773"), "http://[::1]:3773");
  assert.equal(normalizeHost("http://[0:0:0:0:0:0:0:1]:80"), "http://[::1]");
});

test("it refuses other schemes, user info, paths, queries, fragments and escapes", () => {
  for (const bad of [
    "ftp://example.com", "javascript:alert(1)", "file:///etc/passwd",
    "http://user:pass@example.com", "http://good.example@evil.example", "http://evil.example\\@good.example",
    "http://example.com/pair", "http://example.com/?x=1", "http://example.com#x", "http://example.com?",
    "http://%65vil.example", "http://exa mple.com", "http://example.com:99999", "http://", "",
  ]) {
    assert.throws(() => normalizeHost(bad), { code: "bad_host" }, bad);
  }
});

test("it gives the WebSocket base of an origin", () => {
  assert.equal(wsBaseUrl("http://[::1]:3773"), "ws://[::1]:3773");
  assert.equal(wsBaseUrl("https://box.ts.net"), "wss://box.ts.net");
});

test("it normalizes pairing codes and refuses what is not one", () => {
  assert.equal(normalizeCode("abcd-efgh jkmn"), "ABCDEFGHJKMN");
  assert.equal(normalizeCode("ABCDEFGHJKM"), null);
  assert.equal(normalizeCode("ABCDEFGHJKM0"), null);
  assert.equal(normalizeCode(""), null);
});

test("it knows mixed content before any request, except on loopback", () => {
  assert.equal(isMixedContent("https:", "http://192.168.1.20:3773"), true);
  assert.equal(isMixedContent("https:", "https://box.ts.net"), false);
  assert.equal(isMixedContent("http:", "http://192.168.1.20:3773"), false);
  assert.equal(isMixedContent("https:", "http://127.0.0.1:3773"), false);
  assert.equal(isMixedContent("https:", "http://[::1]:3773"), false);
  assert.equal(directPairingLink("http://192.168.1.20:3773", "ABCDEFGHJKMN"), "http://192.168.1.20:3773/pair#token=ABCDEFGHJKMN");
});
