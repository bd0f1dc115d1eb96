"""The relay (docs/contract.md §8): devices paired here use the saved environments this server holds a credential for.

Stands on pairing (the device's session), environments (the saved backend, its credential and
SSH forward) and workspace (the socket's outbox); nothing below imports it.
"""
