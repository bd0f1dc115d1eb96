// Pairing codes, pairing URLs and addresses, as the /pair page checks them before any request.
import assert from "node:assert/strict";
import { test } from "node:test";

import { normalizeOrigin } from "../../../static/js/core/origins.js";
import {
  addressOf, defaultLabel, directPairingLink, isMixedContent, normalizeCode, parsePairingUrl, readPairingForm, wsBaseUrl,
} from "../../../static/js/environments/hosts.js";

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

const DIRECT = "http://192.168.1.20:3773/pair#token=ABCD-EFGH-JKMN";
const HOSTED = "https://app.example/pair?host=http%3A%2F%2F10.0.0.7%3A3773&label=Build%20box#token=ABCDEFGHJKMN";

test("a direct pairing URL names the server it points at and its code", () => {
  assert.deepEqual(parsePairingUrl(DIRECT), { host: "http://192.168.1.20:3773", code: "ABCD-EFGH-JKMN", label: "" });
  assert.deepEqual(parsePairingUrl("  http://[::1]:3773/pair/#token=X  "), { host: "http://[::1]:3773", code: "X", label: "" });
});

test("a hosted pairing URL names its host parameter and label", () => {
  assert.deepEqual(parsePairingUrl(HOSTED), { host: "http://10.0.0.7:3773", code: "ABCDEFGHJKMN", label: "Build box" });
});

test("what is not a pairing URL is left alone", () => {
  for (const text of ["ABCD-EFGH-JKMN", "192.168.1.20:3773", "http://192.168.1.20:3773", "http://h/pairing#token=X",
    "ftp://h/pair#token=X", "", undefined]) {
    assert.equal(parsePairingUrl(text), null, text);
  }
});

test("user info in a pasted URL is kept for normalizeOrigin to refuse, never dropped", () => {
  const { host } = parsePairingUrl("http://good.example@evil.example/pair#token=ABCDEFGHJKMN");
  assert.equal(host, "http://good.example@evil.example");
  assert.throws(() => normalizeOrigin(host), { code: "bad_host" });
});

test("the form reads a whole pairing URL pasted into either field", () => {
  const split = { host: "http://192.168.1.20:3773", code: "ABCD-EFGH-JKMN", label: "", fromUrl: true };
  assert.deepEqual(readPairingForm(DIRECT, ""), split);
  assert.deepEqual(readPairingForm("", DIRECT), split);
  assert.deepEqual(readPairingForm("", HOSTED), { host: "http://10.0.0.7:3773", code: "ABCDEFGHJKMN", label: "Build box", fromUrl: true });
  assert.equal(normalizeCode(readPairingForm("", DIRECT).code), "ABCDEFGHJKMN");
});

test("a pasted URL without a code takes the code typed in the other field", () => {
  assert.deepEqual(readPairingForm("http://192.168.1.20:3773/pair", "abcd efgh jkmn"),
    { host: "http://192.168.1.20:3773", code: "abcd efgh jkmn", label: "", fromUrl: true });
});

test("an address and a code are read as typed", () => {
  assert.deepEqual(readPairingForm(" 192.168.1.20:3773 ", "abcd-efgh-jkmn"),
    { host: "192.168.1.20:3773", code: "abcd-efgh-jkmn", label: "", fromUrl: false });
  assert.deepEqual(readPairingForm("", "ABCDEFGHJKMN"), { host: "", code: "ABCDEFGHJKMN", label: "", fromUrl: false });
});

test("an unnamed environment is named by its label and its address, as environments/hosts.py names it", () => {
  assert.equal(defaultLabel("vm", addressOf("http://127.0.0.1:4001")), "vm · 127.0.0.1:4001");
  assert.notEqual(defaultLabel("vm", addressOf("http://127.0.0.1:4001")), defaultLabel("vm", addressOf("http://127.0.0.1:4002")));
  assert.equal(defaultLabel("vm", addressOf("https://box.tail1234.ts.net")), "vm · box.tail1234.ts.net");
  assert.equal(defaultLabel("", "10.0.0.7:3773"), "10.0.0.7:3773");
  assert.equal(defaultLabel(undefined, "10.0.0.7:3773"), "10.0.0.7:3773");
  assert.equal(defaultLabel(42, "10.0.0.7:3773"), "10.0.0.7:3773");
});
