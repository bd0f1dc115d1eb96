// The DOM kit's pure part (static/js/core/dom.js): how a message's commands are told from its words.
import assert from "node:assert/strict";
import { test } from "node:test";

import { textParts } from "../../static/js/core/dom.js";

test("commands marked with backticks come apart from the words around them", () => {
  assert.deepEqual(textParts("run `python manage.py pair` there."), [
    { text: "run ", code: false }, { text: "python manage.py pair", code: true }, { text: " there.", code: false },
  ]);
  assert.deepEqual(textParts("no command"), [{ text: "no command", code: false }]);
  assert.deepEqual(textParts(""), []);
});
