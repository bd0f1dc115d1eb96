"""Coding agents over the Agent Client Protocol (docs/contract.md §9): t3site is the ACP client.

- ``catalog``: which agents exist and how each is started (no Django).
- ``process``, ``launch``: the agent's process, started and stopped like a terminal's program.
- ``session``: one live session: the ACP connection, the stream, turns, permission requests.
- ``client``: the agent's requests to t3site (files, terminals, permission).
- ``files``, ``terminals``: those requests, confined to the project and backed by t3site terminals.
- ``recorder``, ``models``: the record that outlives the process.
- ``live``: the live sessions of this server process, and their end when it stops.
- ``methods``: the agents.* socket methods.
"""
