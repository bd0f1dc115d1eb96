"""Who may do what: every HTTP route and every socket method of t3site, and what each caller gets.

This is the authorization table of docs/security.md, and the oracle of test_matrix.py, which
plays every caller against every row on a real server. A route or method that is not in this
table fails test_matrix.py until it is written down here.

Callers, from nothing to everything:

| caller                | presents                                              |
|-----------------------|-------------------------------------------------------|
| none                  | no credential                                         |
| revoked               | a session that was revoked                            |
| expired               | a session whose lifetime ran out                      |
| read                  | a client session with `read`                          |
| read+write            | a client session with `read write`                    |
| read+write+terminal   | a client session with `read write terminal` (a client link's default) |
| owner                 | an owner session: every scope, `admin` included       |

What a refused caller gets:

| needs             | none                      | revoked, expired          | live, without the scope      |
|-------------------|---------------------------|---------------------------|------------------------------|
| API route         | 401 `unauthenticated`     | 401 `expired_token`       | 403 `insufficient_scope`     |
| page              | 401 page                  | 401 page                  | 403 page                     |
| admin page        | redirect to the admin's owner-only page (302)        |                              |
| `/ws` handshake   | close 4401, nothing answered | close 4410, nothing answered | (every live session opens) |
| socket method     | (never reached)           | (never reached)           | JSON-RPC -32001, `data.scope`|
"""

from __future__ import annotations

from dataclasses import dataclass

from pairing.scopes import ADMIN, READ, TERMINAL, WRITE

# `needs`: None is anyone at all, paired or not; () is any live session; else every scope named.
ANYONE = None
PAIRED = ()

CALLER_SCOPES: dict[str, tuple[str, ...] | None] = {
    "none": None,
    "revoked": None,
    "expired": None,
    "read": (READ,),
    "read+write": (READ, WRITE),
    "read+write+terminal": (READ, WRITE, TERMINAL),
    "owner": (READ, WRITE, TERMINAL, ADMIN),
}


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # as its urls.py spells it; <name> is a part the caller chooses
    needs: tuple[str, ...] | None
    does: str
    kind: str = "api"  # "api" (JSON errors), "page" (HTML 401/403), "admin" (redirect to the owner-only page)


ROUTES: tuple[Route, ...] = (
    Route("GET", "/.well-known/t3/environment", ANYONE, "describe this server (CORS *)"),
    Route("POST", "/api/auth/pair", ANYONE, "exchange a one-time pairing code for a session"),
    Route("GET", "/api/auth/session", ANYONE, "say whether the caller is paired (always 200)"),
    Route("POST", "/api/auth/ws-ticket", PAIRED, "mint a one-use socket ticket for this session"),
    Route("POST", "/api/auth/logout", PAIRED, "revoke the calling session"),
    Route("GET", "/api/auth/pairing-links", (ADMIN,), "list pairing links"),
    Route("POST", "/api/auth/pairing-links", (ADMIN,), "make a pairing link"),
    Route("DELETE", "/api/auth/pairing-links/<link_id>", (ADMIN,), "revoke a pairing link"),
    Route("GET", "/api/auth/sessions", (ADMIN,), "list device sessions"),
    Route("PATCH", "/api/auth/sessions/<session_id>", (ADMIN,), "rename a device"),
    Route("DELETE", "/api/auth/sessions/<session_id>", (ADMIN,), "revoke another device"),
    Route("POST", "/api/auth/sessions/revoke-others", (ADMIN,), "revoke every other device"),
    Route("GET", "/api/endpoints", (ADMIN,), "list the advertised endpoints"),
    Route("POST", "/api/endpoints/default", (ADMIN,), "choose the default endpoint"),
    Route("POST", "/api/endpoints/tailscale-serve", (ADMIN,), "put Tailscale Serve in front"),
    Route("GET", "/api/endpoints/network-access", (ADMIN,), "show network access"),
    Route("POST", "/api/endpoints/network-access", (ADMIN,), "turn network access on or off"),
    Route("POST", "/api/endpoints/qr", (ADMIN,), "draw a QR code"),
    Route("GET", "/api/environments", (READ,), "list saved environments"),
    Route("POST", "/api/environments", (WRITE,), "save a paired environment (a new address: admin too)"),
    Route("POST", "/api/environments/ssh", (WRITE, ADMIN), "launch t3site over SSH and save it"),
    Route("GET", "/api/environments/<key>", (READ,), "show a saved environment"),
    Route("PATCH", "/api/environments/<key>", (WRITE,), "rename a saved environment"),
    Route("DELETE", "/api/environments/<key>", (WRITE,), "remove a saved environment (an SSH one: admin too)"),
    Route(
        "GET",
        "/via/<environment_id>/.well-known/t3/environment",
        PAIRED,
        "a saved backend's descriptor, fetched through this server (the relay)",
    ),
    Route(
        "GET",
        "/via/<environment_id>/api/auth/session",
        PAIRED,
        "the device's session as the relay carries it to a saved backend (scopes narrowed to the credential's)",
    ),
    Route("GET", "/", ANYONE, "the app page (it pairs or connects from the browser)", "page"),
    Route("GET", "/pair", ANYONE, "the pairing page", "page"),
    Route("GET", "/environments", ANYONE, "the saved-environments page", "page"),
    Route("GET", "/settings/connections/", (ADMIN,), "the Connections page", "page"),
    Route("GET", "/admin/", (ADMIN,), "the admin: pairing links, devices, connection settings", "admin"),
)

# The socket: opening /ws needs a live session; each method then needs its scope (docs/contract.md section 5).
# `read` and `write` reach only inside existing projects; what reaches beyond them needs `terminal`.
SOCKET_NEEDS = PAIRED
METHODS: dict[str, str] = {
    "server.probe": READ,
    "server.info": READ,
    "projects.list": READ,
    "projects.rename": WRITE,
    "projects.add": TERMINAL,
    "projects.remove": TERMINAL,
    "filesystem.browse": TERMINAL,
    "filesystem.createDirectory": TERMINAL,
    "files.list": READ,
    "files.read": READ,
    "files.write": WRITE,
    "git.status": READ,
    "git.log": READ,
    "git.diff": READ,
    "terminal.open": TERMINAL,
    "terminal.attach": TERMINAL,
    "terminal.write": TERMINAL,
    "terminal.resize": TERMINAL,
    "terminal.close": TERMINAL,
    "terminal.list": TERMINAL,
    "providers.list": READ,
    # Coding agents (docs/contract.md section 9): watching is reading; starting or steering one runs programs.
    "agents.list": READ,
    "agents.sessions": READ,
    "agents.attach": READ,
    "agents.start": TERMINAL,
    "agents.prompt": TERMINAL,
    "agents.respond": TERMINAL,
    "agents.cancel": TERMINAL,
    "agents.close": TERMINAL,
}


def verdict(caller: str, needs: tuple[str, ...] | None) -> str:
    """Return what ``caller`` gets from a row that ``needs`` these scopes.

    One of "allowed", "unauthenticated" (nothing presented), "ended" (revoked or expired)
    and "insufficient_scope" (a live session without a scope the row needs).
    """
    if needs is ANYONE:
        return "allowed"
    scopes = CALLER_SCOPES[caller]
    if scopes is None:
        return "unauthenticated" if caller == "none" else "ended"
    return "allowed" if set(needs) <= set(scopes) else "insufficient_scope"
