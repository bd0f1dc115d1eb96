"""What saved environments announce, so the packages that build on them hang their own work there."""

from __future__ import annotations

from django.dispatch import Signal

# Sent by Environment.remove() with ``environment`` and ``ask`` (answers passphrase prompts) before
# the row and its credential go: a receiver may still read both. A receiver returns a one-line
# message for the user when part of its work could not be done, else None.
environment_removing = Signal()
