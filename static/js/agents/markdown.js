// An agent's Markdown as safe DOM: marked turns it into HTML (raw HTML escaped), and DOMPurify keeps
// only harmless markup of what is left (a javascript: link, say).
// Both are vendored (static/vendor/*/vendored.json; the import map pins each by its hash) and use no
// eval or inline script, so this works under a strict Content-Security-Policy. The HTML never
// reaches innerHTML unsanitised.
import DOMPurify from "dompurify";
import { Marked } from "marked";

const markdown = new Marked({ gfm: true, breaks: false, async: false });
// Raw HTML in an answer is shown as the text it is: an agent describing markup (or echoing a file)
// means the characters, and hostile markup is then never even parsed as markup.
markdown.use({ renderer: { html: ({ text }) => escapeHtml(text) } });

// Images would make the browser fetch whatever address an agent (or a file it read) names; forms
// and styles have no place in an answer.
const SANITIZE = {
  RETURN_DOM_FRAGMENT: true,
  FORBID_TAGS: ["img", "style", "form", "input", "button", "textarea", "select", "iframe"],
  FORBID_ATTR: ["style"],
};

// Links leave the app in a new tab, and tell the page they open nothing about it.
DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A") {
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer");
  }
});

export function renderMarkdown(target, text) {
  target.replaceChildren(DOMPurify.sanitize(markdown.parse(text), SANITIZE));
}

function escapeHtml(text) {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
