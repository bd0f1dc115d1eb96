"""JSON-RPC methods, one module per namespace; importing this package registers them all."""

from workspace.methods import server  # noqa: F401
