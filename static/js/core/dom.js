// Small DOM helpers shared by the workspace views. Text always goes in through
// textContent: file names, commit subjects and server messages are never parsed as HTML.

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

export const RPC_NOT_FOUND = -32004;
export const RPC_CONFLICT = -32009;
export const RPC_TOO_LARGE = -32010;

export function formatSize(bytes) {
  if (bytes === null || bytes === undefined) return "";
  const units = ["B", "KB", "MB", "GB"];
  let size = bytes;
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) {
    size /= 1024;
    unit += 1;
  }
  return `${unit ? size.toFixed(1) : size} ${units[unit]}`;
}

// Run an async action with its button disabled, reporting failure on the given error line.
export async function busy(button, line, action) {
  button.disabled = true;
  line?.clear();
  try {
    return await action();
  } catch (error) {
    line?.show(error);
    return undefined;
  } finally {
    button.disabled = false;
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
