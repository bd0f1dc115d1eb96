// A saved environment opened through this server (the relay, docs/contract.md §8): this server holds
// its credential, the browser holds only its session here. Everything is asked of this server
// (/via/<environmentId>/...); the environment's own address is never fetched from the browser.
import { RelayBackend } from "../core/api.js";

// The path as the header and the lists say it: "via <this server's host>".
export const viaHere = () => `via ${window.location.host}`;

export function relayBackend(environment) {
  return new RelayBackend(environment.environmentId);
}

// Ask this server for the environment's descriptor and compare its environmentId with the saved one.
// → { status: "reachable", descriptor } | { status: "changed", descriptor }
//   | { status: "unreachable", code, message }: `message` is this server's (the backend's reason).
export async function checkThroughRelay(environment) {
  let descriptor;
  try {
    descriptor = await relayBackend(environment).descriptor();
  } catch (error) {
    return { status: "unreachable", code: error.code, message: relayProblem(error) };
  }
  if (!descriptor || typeof descriptor.environmentId !== "string") {
    return { status: "unreachable", code: "not_a_backend", message: "it answers, but not as a t3site server" };
  }
  if (descriptor.environmentId !== environment.environmentId) return { status: "changed", descriptor };
  return { status: "reachable", descriptor };
}

// `text` as a sentence: a full stop unless it ends with one (or a question) already.
export const sentence = (text) => (/[.?!]$/.test(text) ? text : `${text}.`);

// One line saying why the relay could not be used, from this server's error answer.
export function relayProblem(error) {
  if (error.code === "network") return `this server did not answer (${error.message})`;
  if (error.code === "not_found") return "this server no longer holds a credential for it";
  return error.message;
}
