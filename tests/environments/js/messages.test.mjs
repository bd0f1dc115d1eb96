// Every pairing failure has its own message and a next step.
import assert from "node:assert/strict";
import { test } from "node:test";

import { FAILURE_CODES, messageFor, retryAfterOf } from "../../../static/js/environments/messages.js";

const HOST = "http://192.168.1.20:3773";

test("every failure has a distinct title and a next step", () => {
  const titles = new Set();
  for (const code of FAILURE_CODES) {
    const { title, next } = messageFor({ code, host: HOST, directLink: `${HOST}/pair#token=X`, retryAfter: 60 });
    assert.ok(title && next, code);
    titles.add(title);
  }
  assert.equal(titles.size, FAILURE_CODES.length);
  for (const code of ["missing_host", "missing_token", "bad_host", "malformed_token", "expired_token", "invalid_token",
    "rate_limited", "mixed_content", "unreachable_cors", "unreachable_network", "not_a_backend"]) {
    assert.ok(FAILURE_CODES.includes(code), code);
  }
});

test("a used or unknown token says to ask for a new link", () => {
  assert.match(messageFor({ code: "invalid_token" }).next, /new link/);
  assert.match(messageFor({ code: "expired_token" }).next, /new link/);
});

test("the server's bad_request and network codes map to the malformed and unreachable messages", () => {
  assert.deepEqual(messageFor({ code: "bad_request" }), messageFor({ code: "malformed_token" }));
  assert.deepEqual(messageFor({ code: "network", host: HOST }), messageFor({ code: "unreachable_network", host: HOST }));
});

test("mixed content offers the backend's own pairing link", () => {
  const message = messageFor({ code: "mixed_content", host: HOST, directLink: `${HOST}/pair#token=ABCDEFGHJKMN` });
  assert.equal(message.link, `${HOST}/pair#token=ABCDEFGHJKMN`);
  assert.match(message.title, /https/);
});

test("unreachable messages tell CORS from the network and name the host", () => {
  assert.match(messageFor({ code: "unreachable_cors", host: HOST }).next, /CORS/);
  assert.match(messageFor({ code: "unreachable_network", host: HOST }).title, /192\.168\.1\.20/);
});

test("rate limiting says when to retry, from Retry-After or from the server's message", () => {
  assert.match(messageFor({ code: "rate_limited", retryAfter: 45 }).next, /45 seconds/);
  assert.match(messageFor({ code: "rate_limited", retryAfter: 600 }).next, /10 minutes/);
  assert.equal(retryAfterOf({ retryAfter: null, message: "try again in 120 seconds" }), 120);
  assert.equal(retryAfterOf({ retryAfter: 7, message: "" }), 7);
});

test("an unknown failure still says what the server said", () => {
  assert.deepEqual(messageFor({ code: "teapot", message: "short and stout" }), { title: "Pairing failed.", next: "short and stout" });
});

test("only a failure with a code waiting says the code is not spent", () => {
  for (const code of ["mixed_content", "unreachable_network", "not_a_backend"]) {
    assert.match(messageFor({ code, host: HOST, codeUnspent: true }).next, /not spent/, code);
    // A saved environment that does not answer has no code at all.
    assert.doesNotMatch(messageFor({ code, host: HOST }).next, /not spent/, code);
  }
});

test("every message's backticks pair up, so none is shown literally", () => {
  for (const code of FAILURE_CODES) {
    const { title, next } = messageFor({ code, host: HOST, retryAfter: 60, codeUnspent: true });
    for (const text of [title, next]) assert.equal(text.split("`").length % 2, 1, `${code}: ${text}`);
  }
});
