// The DOM helpers every page uses. Text always goes in through textContent or text nodes: file
// names, labels, hosts and server messages are never parsed as HTML. Nothing here touches the
// document until it is called, so `node --test` can import it (tests/js/).

// el("button", { type: "button", class: "link", onclick: fn }, "Open", child...)
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "class") node.className = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  node.append(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
  return node;
}

export const byId = (id) => document.getElementById(id);

// A one-line error slot that lives right next to the control that failed:
// an element from the template, or a new one.
export function errorLine(line = el("p", { class: "error-line", role: "status", "aria-live": "polite" })) {
  line.hidden = true;
  line.show = (error) => {
    line.textContent = typeof error === "string" ? error : describeError(error);
    line.hidden = !line.textContent;
  };
  line.clear = () => line.show("");
  return line;
}

export function describeError(error) {
  if (!error) return "";
  if (error.message === "not connected" || error.message === "connection closed") {
    return "Not connected to the server right now; try again when the connection is back.";
  }
  return error.message || String(error);
}

// Run an async action with its button (if any) disabled, reporting failure on the given error line.
export async function busy(button, line, action) {
  if (button) button.disabled = true;
  line?.clear();
  try {
    return await action();
  } catch (error) {
    line?.show(error);
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

// Tabs: buttons with role="tab" and aria-controls. Selecting one shows its panel and hides the others'.
export function selectTab(tab) {
  for (const sibling of tab.parentElement.querySelectorAll('[role="tab"]')) {
    const selected = sibling === tab;
    sibling.setAttribute("aria-selected", String(selected));
    byId(sibling.getAttribute("aria-controls")).hidden = !selected;
  }
}

// Split a message into plain text and the commands it marks with backticks:
// "run `x` now" → [{ text: "run ", code: false }, { text: "x", code: true }, { text: " now", code: false }].
export function textParts(text) {
  return String(text || "").split("`").map((part, index) => ({ text: part, code: index % 2 === 1 }))
    .filter((part) => part.text);
}

// Show a message in an element: its `commands` become <code>, everything else plain text.
export function showText(element, text) {
  element.replaceChildren(...textParts(text).map(({ text: part, code }) => (code ? el("code", {}, part) : part)));
}
