"""Launch and reach t3site on other machines over SSH (paramiko): `manage.py environments ssh`.

Modules: target (~/.ssh/config), client (host keys, auth), remote (probe, start or
reuse, pair, stop, on the remote), launcher (the script that runs there), forward
(the local port), store (how to reach each environment again), service (the steps),
serving (the `serve` process's forwards), command (the CLI).
"""
