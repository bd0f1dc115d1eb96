"""A terminal's record, so other processes (the `project` command, the next server) can see it and stop it.

One of workspace's models (workspace.models names it), kept with the terminals: stopping a
terminal from another process takes the same process handling (``process``) the registry uses.
"""

from __future__ import annotations

from django.db import models

from t3site import clock, lifecycle
from workspace.terminals import process

# Between SIGHUP and SIGKILL when another process stops a terminal, or a server ends what a dead one left.
KILL_GRACE_SECONDS = 1.0


class TerminalRecordQuerySet(models.QuerySet):
    def running(self):
        """Return the records not marked exited (their server may have died without marking them)."""
        return self.filter(exited_at__isnull=True)


class TerminalRecordManager(models.Manager.from_queryset(TerminalRecordQuerySet)):
    def live_for_project(self, project_id: str) -> list[TerminalRecord]:
        """Return the project's terminals that still run: not marked exited, and their server alive."""
        return [record for record in self.running().filter(project_id=project_id) if record.is_live()]

    def mark_exited(self, terminal_id: str, exit_code: int | None) -> None:
        """Record that a terminal's program exited with ``exit_code`` (None: unknown).

        The owning server writes this even over a row another process marked exited
        when it stopped the terminal: only the owner learns the exit code.
        """
        self.filter(pk=terminal_id).update(exited_at=clock.now(), exit_code=exit_code)

    def end_leftovers(self) -> int:
        """End what the terminals of dead servers left running; mark them exited; return how many terminals.

        A server killed with SIGKILL marks nothing: its PTYs close, which hangs up
        the programs, but what ignores SIGHUP (``nohup``) or left the session
        (``setsid``) lives on. Only processes of this user that carry the marker
        of one of these terminals are signalled: SIGHUP, then SIGKILL after
        KILL_GRACE_SECONDS. Blocks up to that long.
        """
        leftovers = [record for record in self.running() if not record.server_alive()]
        if not leftovers:
            return 0
        ids = [record.id for record in leftovers]
        process.end(lambda: process.marked_processes(ids), KILL_GRACE_SECONDS)
        self.filter(pk__in=ids, exited_at__isnull=True).update(exited_at=clock.now())
        return len(leftovers)


class TerminalRecord(models.Model):
    id = models.CharField(primary_key=True, max_length=32, editable=False)
    project = models.ForeignKey(
        "workspace.Project", null=True, blank=True, on_delete=models.SET_NULL, related_name="terminals"
    )
    cwd = models.CharField(max_length=4096)
    command = models.JSONField(default=list)
    # The terminal's program, which leads its session and process group (their ids are this pid), and the
    # server process that owns the PTY. Every process the terminal starts also carries T3SITE_TERMINAL_ID=id.
    pid = models.IntegerField(null=True, blank=True)
    server_pid = models.IntegerField()
    created_at = models.DateTimeField(default=clock.now)
    exited_at = models.DateTimeField(null=True, blank=True)
    exit_code = models.IntegerField(null=True, blank=True)

    objects = TerminalRecordManager()

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"terminal {self.id} ({' '.join(self.command) or 'shell'})"

    def is_live(self) -> bool:
        """Return whether the terminal may still run: not marked exited, and its server process alive.

        A server that died without marking its terminals closed their PTYs as it
        died, which hung up their programs; what outlived that is for
        ``end_leftovers``.
        """
        return self.exited_at is None and self.pid is not None and self.server_alive()

    def server_alive(self) -> bool:
        """Return whether the server process that opened this terminal still runs (not a newer one on its pid)."""
        return lifecycle.server_still_runs(self.server_pid, self.created_at)

    def kill(self) -> None:
        """Stop every process of this terminal from any process: SIGHUP, then SIGKILL after a grace.

        Blocks up to KILL_GRACE_SECONDS. The server that owns the PTY then reads
        EOF, marks the record exited and sends ``terminal.exit`` to its sockets.
        """
        if self.is_live():
            process.kill_session(self.pid, self.id, KILL_GRACE_SECONDS)
