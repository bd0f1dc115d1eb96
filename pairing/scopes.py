"""Roles and scopes (docs/contract.md §3). No Django imports."""

from __future__ import annotations

OWNER = "owner"
CLIENT = "client"
ROLES = (OWNER, CLIENT)

READ, WRITE, TERMINAL, ADMIN = "read", "write", "terminal", "admin"
ALL_SCOPES = (READ, WRITE, TERMINAL, ADMIN)
CLIENT_DEFAULT_SCOPES = (READ, WRITE, TERMINAL)
# Every pairing link made after start-up grants the least that runs a workspace; owner (admin
# included: managing who gets in) is asked for by name. Only the token `serve` prints at start
# is an owner link by itself, so the person at the machine can always get in.
LINK_DEFAULT_ROLE = CLIENT


class GrantError(ValueError):
    """What a pairing link or session would grant is not allowed."""


class ScopeError(GrantError):
    pass


def resolve_scopes(role: str, requested: list[str] | tuple[str, ...] | None) -> list[str]:
    """Return the scopes a credential of ``role`` gets, in canonical order.

    An owner has every scope. A client gets read, write and terminal unless
    narrowed; ``admin`` is owner-only.
    """
    if role not in ROLES:
        raise ScopeError(f"unknown role {role!r}: use owner or client")
    if role == OWNER:
        if requested and set(requested) != set(ALL_SCOPES):
            raise ScopeError("an owner has every scope; use --role client to narrow the scopes")
        return list(ALL_SCOPES)
    wanted = set(requested or CLIENT_DEFAULT_SCOPES)
    unknown = wanted - set(ALL_SCOPES)
    if unknown:
        raise ScopeError(f"unknown scope {sorted(unknown)[0]!r}: use read, write, terminal or admin")
    if ADMIN in wanted:
        raise ScopeError("the admin scope is owner-only")
    return [scope for scope in ALL_SCOPES if scope in wanted]


class ScopeNotHeld(ScopeError):
    """A narrowing asked for a scope the credential does not have."""


def narrow(held: list[str] | tuple[str, ...], requested: list[str] | tuple[str, ...]) -> list[str]:
    """Return ``requested`` in canonical order, a non-empty subset of ``held``.

    A narrowed credential can only lose scopes: asking for one that is not held raises
    ScopeNotHeld (the API's 403), asking for none or for an unknown one raises ScopeError (400).
    """
    wanted = set(requested)
    if not wanted:
        raise ScopeError("name at least one scope to narrow to")
    unknown = wanted - set(ALL_SCOPES)
    if unknown:
        raise ScopeError(f"unknown scope {sorted(unknown)[0]!r}: use read, write, terminal or admin")
    missing = wanted - set(held)
    if missing:
        raise ScopeNotHeld(f"this device's session lacks the {sorted(missing)[0]!r} scope")
    return [scope for scope in ALL_SCOPES if scope in wanted]
