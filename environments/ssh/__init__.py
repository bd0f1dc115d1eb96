"""Launch and reach t3site on other machines over SSH (paramiko): `manage.py environments ssh`.

Modules: target (~/.ssh/config), client (host keys, auth), remote_host (the commands
run on the remote host: probe, start or reuse, mint a token, stop), launcher (the
script that runs there), forward (the local port), store (how to reach each
environment again), service (the steps), server_forwards (the forwards the `serve`
process keeps open), teardown (what removing an environment undoes), command (the CLI).
"""
