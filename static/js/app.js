// The web client's shell: who am I, and a live socket to the server.
import { Backend, RpcSocket } from "./api.js";

const $ = (id) => document.getElementById(id);
const backend = new Backend();

function showPill(text, kind) {
  const pill = $("app-connection");
  pill.textContent = text;
  pill.dataset.kind = kind;
}

async function start() {
  let session;
  try {
    session = await backend.session();
  } catch (error) {
    showPill("offline", "bad");
    $("app-message").textContent = error.message;
    return;
  }
  if (!session.authenticated) {
    showPill("not paired", "bad");
    $("app-unpaired").hidden = false;
    return;
  }
  $("app-paired").hidden = false;
  $("app-device").textContent = `${session.label || "this browser"} (${session.role})`;
  $("app-scopes").textContent = session.scopes.join(", ");
  $("app-admin").hidden = !session.scopes.includes("admin");

  const rpc = new RpcSocket(backend);
  rpc.addEventListener("state", (event) => showPill(event.detail, event.detail === "open" ? "good" : "warn"));
  rpc.addEventListener("ended", (event) => {
    showPill("access ended", "bad");
    $("app-paired").hidden = true;
    $("app-message").textContent = event.detail.code === 4410
      ? "This device's access was revoked or expired: pair again."
      : `The server refused this device (${event.detail.reason || event.detail.code}): pair again.`;
  });
  rpc.addEventListener("state", async (event) => {
    if (event.detail !== "open") return;
    const info = await rpc.call("server.info");
    $("app-server").textContent = `${info.label} · ${info.platform.os}/${info.platform.arch} · t3site ${info.serverVersion}`;
  });
  await rpc.connect();

  $("app-logout").addEventListener("click", async () => {
    rpc.close();
    await backend.logout().catch(() => {});
    window.location.reload();
  });
}

start();
