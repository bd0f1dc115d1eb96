"""Close the open WebSockets of sessions that are revoked or expire, within the contract's 2 seconds.

A revocation can happen in any process, so both ways of t3site.watch are used: the
``sessions_revoked`` signal is answered with a group message at once, and while this
process has sockets open it asks the database once a second which of their sessions are no
longer live. That catches `manage.py auth session revoke` run from a shell (another process,
in-memory layer) and plain expiry.
"""

from __future__ import annotations

from django.dispatch import receiver

from pairing.models import DeviceSession
from pairing.signals import sessions_revoked
from t3site.watch import Watcher

# A socket gets this event (its consumer's ``session_ended``) when it must close with 4410.
SESSION_ENDED_EVENT = "session.ended"
_ENDED = {"type": SESSION_ENDED_EVENT}


class RevocationWatcher(Watcher):
    """The sockets of this process, each under its session's id."""

    def look(self, keys: list[str]) -> dict[str, dict]:
        live = set(DeviceSession.objects.active().filter(pk__in=keys).values_list("pk", flat=True))
        return {session_id: _ENDED for session_id in keys if session_id not in live}


watcher = RevocationWatcher("t3session", "revoked sessions")


@receiver(sessions_revoked, dispatch_uid="pairing.revocation")
def close_their_sockets(sender, session_ids: list[str], **kwargs) -> None:
    """Tell every socket of these sessions, in every process, that it must close now."""
    for session_id in session_ids:
        watcher.announce(_ENDED, session_id)
