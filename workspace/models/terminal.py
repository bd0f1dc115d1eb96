"""A terminal's record, so other processes (the `project` command) can see it and stop it."""

from __future__ import annotations

from django.db import models

from t3site import clock


class TerminalRecord(models.Model):
    id = models.CharField(primary_key=True, max_length=32, editable=False)
    project = models.ForeignKey(
        "workspace.Project", null=True, blank=True, on_delete=models.SET_NULL, related_name="terminals"
    )
    cwd = models.CharField(max_length=4096)
    command = models.JSONField(default=list)
    # The process group leader of the terminal's program, and the server process that owns the PTY.
    pid = models.IntegerField(null=True, blank=True)
    server_pid = models.IntegerField()
    created_at = models.DateTimeField(default=clock.now)
    exited_at = models.DateTimeField(null=True, blank=True)
    exit_code = models.IntegerField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"terminal {self.id} ({' '.join(self.command) or 'shell'})"
