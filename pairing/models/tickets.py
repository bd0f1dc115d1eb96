"""One-use, 60-second tickets for opening /ws from any origin (the ticket is the proof)."""

from __future__ import annotations

from datetime import timedelta

from django.db import models, transaction

from pairing import scopes as scope_rules
from pairing import tokens
from pairing.lifetimes import TICKET_TTL_SECONDS
from pairing.models.base import InvalidToken, digest
from pairing.models.devices import DeviceSession
from t3site import clock


class WebSocketTicketManager(models.Manager):
    def issue(self, session: DeviceSession, scopes: list[str] | None = None) -> tuple[WebSocketTicket, str]:
        """Return a one-use ticket for ``session``'s next WebSocket connection, and its raw value.

        With ``scopes``, the socket gets only those (a non-empty subset of the session's; raise
        scopes.ScopeNotHeld for more, scopes.ScopeError for none or an unknown one): a server that
        relays a device's socket (docs/contract.md §8) hands the backend a ticket no stronger
        than the device, so the backend itself enforces what the device may do.
        """
        narrowed = None if scopes is None else scope_rules.narrow(session.scopes, scopes)
        now = clock.now()
        raw = tokens.new_ticket()
        with transaction.atomic():  # one commit for both writes
            self.filter(expires_at__lte=now).delete()
            ticket = self.create(
                digest=digest(raw),
                session=session,
                scopes=narrowed,
                created_at=now,
                expires_at=now + timedelta(seconds=TICKET_TTL_SECONDS),
            )
        return ticket, raw

    def claim(self, raw: str) -> DeviceSession:
        """Use up a raw ticket and return its session (whatever the session's state), as narrowed as the ticket.

        Raise InvalidToken for a malformed, unknown, used or expired ticket.
        """
        if not tokens.is_ticket(raw or ""):
            raise InvalidToken("malformed ticket")
        now = clock.now()
        ticket_digest = digest(raw)
        with transaction.atomic():
            won = self.filter(digest=ticket_digest, used_at__isnull=True, expires_at__gt=now).update(used_at=now)
            if not won:
                raise InvalidToken("this ticket is not valid: it was used, has expired or never existed")
            ticket = self.select_related("session__pairing").get(digest=ticket_digest)
        if ticket.scopes is None:
            return ticket.session
        return ticket.session.narrowed(ticket.scopes)


class WebSocketTicket(models.Model):
    digest = models.CharField(max_length=64, unique=True)
    session = models.ForeignKey(DeviceSession, on_delete=models.CASCADE, related_name="+")
    # The scopes a narrowed ticket's socket gets; null: all of the session's.
    scopes = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    # Indexed: every issue deletes the expired ones, and a busy minute leaves thousands behind.
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    objects = WebSocketTicketManager()
