// The client side of t3site's HTTP API and /ws socket, shared by every page.
// One backend = one base URL plus, for hosted/bearer use, a session token.

// The API's paths (docs/contract.md §4-§7, docs/endpoints.md, docs/ssh.md), spelled here and nowhere
// else. They are the wire contract, not this server's URLconf: the same paths address every t3site
// backend this browser talks to (a saved environment's /api/auth/pair is no URL of this server), so
// they cannot come from {% url %}. This server's own pages do (core/urls.js).
export const PATHS = {
  descriptor: "/.well-known/t3/environment",
  pair: "/api/auth/pair",
  session: "/api/auth/session",
  wsTicket: "/api/auth/ws-ticket",
  logout: "/api/auth/logout",
  pairingLinks: "/api/auth/pairing-links",
  sessions: "/api/auth/sessions",
  revokeOthers: "/api/auth/sessions/revoke-others",
  endpoints: "/api/endpoints",
  defaultEndpoint: "/api/endpoints/default",
  tailscaleServe: "/api/endpoints/tailscale-serve",
  networkAccess: "/api/endpoints/network-access",
  qr: "/api/endpoints/qr",
  environments: "/api/environments",
  sshEnvironment: "/api/environments/ssh",
  socket: "/ws",
  // The relay (docs/contract.md §8): /via/<environmentId>/ws, and t3site's HTTP routes beside it
  // (docs/environments.md): the backend's descriptor and this device's session there, through this server.
  via: "/via",
  // A backend's own pairing page (docs/contract.md §7), where a direct pairing link leads.
  pairingPage: "/pair",
};

// The path of one item of a collection: itemPath(PATHS.sessions, id) → "/api/auth/sessions/<id>".
export const itemPath = (collection, id) => `${collection}/${encodeURIComponent(id)}`;

export class ApiError extends Error {
  constructor(status, code, message, retryAfter, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
    this.details = details;
  }
}

export class Backend {
  // baseUrl: "" for this server (cookie auth), or "http://host:port" with a bearer token.
  constructor(baseUrl = "", sessionToken = null) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.sessionToken = sessionToken;
  }

  // Send a request; return the Response, whatever its status. Throws an ApiError ("network")
  // only when no answer came.
  async send(method, path, body) {
    const headers = {};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (this.sessionToken) headers["Authorization"] = `Bearer ${this.sessionToken}`;
    try {
      return await fetch(this.baseUrl + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: this.sessionToken || this.baseUrl ? "omit" : "same-origin",
        cache: "no-store",
      });
    } catch (error) {
      throw new ApiError(0, "network", `cannot reach ${this.baseUrl || "the server"}: ${error.message}`);
    }
  }

  // Send a request and return its JSON answer; an error answer is thrown as an ApiError with the
  // API's code, message and details (docs/contract.md §4).
  async request(method, path, body) {
    const response = await this.send(method, path, body);
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      const failure = (data && data.error) || {};
      throw new ApiError(response.status, failure.code || "http_error", failure.message || `HTTP ${response.status}`,
        Number(response.headers.get("Retry-After")) || null, failure.details);
    }
    return data;
  }

  descriptor() { return this.request("GET", PATHS.descriptor); }
  session() { return this.request("GET", PATHS.session); }
  logout() { return this.request("POST", PATHS.logout); }

  wsUrl(ticket) {
    const base = this.baseUrl || window.location.origin;
    return `${base.replace(/^http/, "ws")}${PATHS.socket}?ticket=${encodeURIComponent(ticket)}`;
  }
}

// A saved environment this server holds a credential for, reached through this server (the relay,
// docs/contract.md §8): every HTTP call goes to this server with its session cookie, and the socket
// to /via/<environmentId>/ws with a ticket of this server. No credential of the environment ever
// reaches the browser, and nothing is fetched from the environment's own address (an SSH one's is
// this server's loopback forward, which a phone never reaches).
export class RelayBackend extends Backend {
  constructor(environmentId) {
    super("");
    this.environmentId = environmentId;
    this.relayed = true;
    this.viaPath = `${PATHS.via}/${encodeURIComponent(environmentId)}`;
  }

  // The environment's own descriptor, fetched by this server.
  descriptor() { return this.request("GET", this.viaPath + PATHS.descriptor); }

  // This device's session here, with the scopes it has there: its own that the saved credential also has.
  session() { return this.request("GET", this.viaPath + PATHS.session); }

  // Logging out would end this device's session on this server, not on the environment: the app offers
  // no logout through the relay (workspace/shell.js), and this refuses one.
  logout() {
    return Promise.reject(new ApiError(0, "relayed", "log out from this server's own app, not through the relay"));
  }

  wsUrl(ticket) {
    const here = window.location.origin.replace(/^http/, "ws");
    return `${here}${this.viaPath}${PATHS.socket}?ticket=${encodeURIComponent(ticket)}`;
  }
}

export const CLOSE_SESSION_ENDED = 4410;
// The relay's own closes (docs/contract.md §8): no such environment here; the backend cannot be reached.
export const CLOSE_NO_SUCH_ENVIRONMENT = 4404;
export const CLOSE_BACKEND_UNREACHABLE = 4502;
const PERMANENT_CLOSES = new Set([4401, 4403, CLOSE_NO_SUCH_ENVIRONMENT, CLOSE_SESSION_ENDED]);
// JSON-RPC error codes a view answers on its own (docs/contract.md §5).
export const RPC_NOT_FOUND = -32004;
export const RPC_CONFLICT = -32009;
export const RPC_TOO_LARGE = -32010;

// A JSON-RPC connection that gets a fresh ticket for every (re)connect and backs off
// when the network drops. On 4410/4401/4403/4404 it stops for good: retrying cannot help. A relayed
// backend that cannot be reached (4502) is tried again too, and said first ("unreachable", with why).
export class RpcSocket extends EventTarget {
  constructor(backend) {
    super();
    this.backend = backend;
    this.nextId = 1;
    this.pending = new Map();
    this.attempt = 0;
    this.stopped = false;
    this.socket = null;
  }

  async connect() {
    if (this.stopped) return;
    this.dispatchEvent(new CustomEvent("state", { detail: "connecting" }));
    let ticket;
    try {
      ({ ticket } = await this.backend.request("POST", PATHS.wsTicket));
    } catch (error) {
      if (error.status === 401) return this.end(CLOSE_SESSION_ENDED, error.message);
      return this.retry();
    }
    const socket = new WebSocket(this.backend.wsUrl(ticket));
    this.socket = socket;
    socket.onopen = () => {
      this.attempt = 0;
      this.dispatchEvent(new CustomEvent("state", { detail: "open" }));
    };
    socket.onmessage = (event) => this.onFrame(event.data);
    socket.onclose = (event) => {
      for (const { reject } of this.pending.values()) reject(new Error("connection closed"));
      this.pending.clear();
      if (PERMANENT_CLOSES.has(event.code)) return this.end(event.code, event.reason);
      this.retry();
      if (event.code === CLOSE_BACKEND_UNREACHABLE) {
        this.dispatchEvent(new CustomEvent("unreachable", { detail: { code: event.code, reason: event.reason } }));
      }
    };
  }

  retry() {
    if (this.stopped) return;
    // 0.5 s, 1 s, 2 s ... capped at 30 s, with jitter so many clients do not reconnect in step.
    const delay = Math.min(30000, 500 * 2 ** this.attempt) * (0.75 + Math.random() / 2);
    this.attempt += 1;
    this.dispatchEvent(new CustomEvent("state", { detail: "reconnecting" }));
    setTimeout(() => this.connect(), delay);
  }

  end(code, reason) {
    this.stopped = true;
    this.dispatchEvent(new CustomEvent("ended", { detail: { code, reason } }));
  }

  close() {
    this.stopped = true;
    if (this.socket) this.socket.close(1000);
  }

  onFrame(text) {
    let message;
    try { message = JSON.parse(text); } catch { return; }
    if (message.id !== undefined && this.pending.has(message.id)) {
      const { resolve, reject } = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error) {
        const error = new Error(message.error.message);
        error.code = message.error.code;
        error.data = message.error.data;
        reject(error);
      } else resolve(message.result);
    } else if (message.method) {
      this.dispatchEvent(new CustomEvent("notification", { detail: message }));
      this.dispatchEvent(new CustomEvent(message.method, { detail: message.params }));
    }
  }

  call(method, params = {}) {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) {
      return Promise.reject(new Error("not connected"));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.send(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
    });
  }
}
