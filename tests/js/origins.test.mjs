// How the web client reads an origin (static/js/core/origins.js), as t3site/origins.py does.
import assert from "node:assert/strict";
import { test } from "node:test";

import { normalizeOrigin } from "../../static/js/core/origins.js";

test("it keeps a plain origin and takes a bare host:port as http", () => {
  assert.equal(normalizeOrigin("http://192.168.1.20:3773"), "http://192.168.1.20:3773");
  assert.equal(normalizeOrigin("  192.168.1.20:3773  "), "http://192.168.1.20:3773");
  assert.equal(normalizeOrigin("box.tail1234.ts.net", "https:"), "https://box.tail1234.ts.net");
});

test("it lower-cases the host, drops default ports and one trailing slash", () => {
  assert.equal(normalizeOrigin("HTTP://Example.COM:80/"), "http://example.com");
  assert.equal(normalizeOrigin("https://example.com:443"), "https://example.com");
  assert.equal(normalizeOrigin("https://example.com:8443/"), "https://example.com:8443");
});

test("it keeps IPv6 addresses in brackets, compressed", () => {
  assert.equal(normalizeOrigin("http://[::1]:3773"), "http://[::1]:3773");
  assert.equal(normalizeOrigin("http://[0:0:0:0:0:0:0:1]:80"), "http://[::1]");
});

test("it refuses other schemes, user info, paths, queries, fragments and escapes", () => {
  for (const bad of [
    "ftp://example.com", "javascript:alert(1)", "file:///etc/passwd",
    "http://user:pass@example.com", "http://good.example@evil.example", "http://evil.example\\@good.example",
    "http://example.com/pair", "http://example.com/?x=1", "http://example.com#x", "http://example.com?",
    "http://%65vil.example", "http://exa mple.com", "http://example.com:99999", "http://", "",
  ]) {
    assert.throws(() => normalizeOrigin(bad), { code: "bad_host" }, bad);
  }
});
