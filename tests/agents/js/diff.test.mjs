// The tool card's line diff (static/js/agents/diff.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { diffLines, linesOf } from "../../../static/js/agents/diff.js";

test("a changed line reads as the old one going and the new one coming", () => {
  assert.deepEqual(diffLines(["a", "b", "c"], ["a", "B", "c"]), [[" ", "a"], ["-", "b"], ["+", "B"], [" ", "c"]]);
});

test("lines kept in place are shown unchanged around what was added and removed", () => {
  assert.deepEqual(diffLines(["one", "two"], ["zero", "one", "two", "three"]),
    [["+", "zero"], [" ", "one"], [" ", "two"], ["+", "three"]]);
  assert.deepEqual(diffLines(["x", "y"], []), [["-", "x"], ["-", "y"]]);
});

test("the newline that ends a file starts no extra line, and a new file has no old lines", () => {
  assert.deepEqual(linesOf("a\nb\n"), ["a", "b"]);
  assert.deepEqual(linesOf(null), []);
  assert.deepEqual(linesOf(""), []);
});

test("a file too long to compare is shown whole, old then new", () => {
  const before = Array.from({ length: 401 }, (_, n) => `old ${n}`);
  const lines = diffLines(before, ["new"]);
  assert.equal(lines.length, 402);
  assert.deepEqual(lines.at(-1), ["+", "new"]);
});
