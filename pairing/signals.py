"""What pairing announces, for whoever cares (pairing.revocation closes the sockets)."""

from django.dispatch import Signal

# Sent with ``session_ids`` (a list) once the revocation of those sessions is committed, by every
# path that revokes: the API, the admin's bulk action, the CLI, a revoked session's links.
sessions_revoked = Signal()
