"""Signals for the life of the `serve` process, so apps can hook in without the server knowing them."""

from django.dispatch import Signal

# Sent (with no arguments) in the server process once it listens, and when it is about to stop.
server_started = Signal()
server_stopping = Signal()
