// Show a message from messages.js in an element: its `commands` become <code>, everything else
// plain text. Built from nodes, never innerHTML: messages carry hosts and server words.
import { textParts } from "../environments/messages.js";

export function showText(element, text) {
  element.replaceChildren(...textParts(text).map(({ text: part, code }) => {
    if (!code) return document.createTextNode(part);
    const node = document.createElement("code");
    node.textContent = part;
    return node;
  }));
}
