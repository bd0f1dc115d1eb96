"""The record of agent sessions: one row per session, and every update the agent sent, in order.

A live session (agents.live) lives in the server process like a terminal; these
rows are what outlives it. ``AgentUpdate.payload`` is the ACP ``session/update``
payload exactly as the agent sent it (plus the few t3site adds, marked in
``_meta.t3site``), so a device that attaches later, or after a restart, replays
the same conversation it would have seen live.
"""

from __future__ import annotations

from django.db import models, transaction

from t3site import clock, lifecycle
from t3site.ids import new_id

TITLE_MAX_LENGTH = 120


class State(models.TextChoices):
    STARTING = "starting"
    IDLE = "idle"  # waiting for a prompt
    WORKING = "working"  # a turn is running
    ENDED = "ended"  # the agent process is gone; the record stays
    FAILED = "failed"  # the agent never got as far as a session


LIVE_STATES = (State.STARTING, State.IDLE, State.WORKING)


class AgentSessionQuerySet(models.QuerySet):
    def listing(self, project_id: str | None = None) -> list[dict]:
        """Return the sessions as agents.sessions shows them, newest first."""
        found = self.select_related("project").order_by("-created_at")
        if project_id is not None:
            found = found.filter(project_id=project_id)
        return [session.as_dict() for session in found]


class AgentSessionManager(models.Manager.from_queryset(AgentSessionQuerySet)):
    def end_leftovers(self) -> list[str]:
        """Mark ended the live-looking sessions of servers that are gone; return their ids.

        A server killed with SIGKILL marks nothing. Its agents lost their stdin
        with it, which ends an ACP agent; agents.live ends any that stayed.
        """
        leftovers = [session.id for session in self.filter(state__in=LIVE_STATES) if not session.server_alive()]
        self.filter(pk__in=leftovers).update(
            state=State.ENDED, ended_at=clock.now(), end_reason="the server stopped", updated_at=clock.now()
        )
        return leftovers


class AgentSession(models.Model):
    id = models.CharField(primary_key=True, max_length=16, default=new_id, editable=False)
    # The record outlives the project (removing a project forgets the folder, not what was said in it).
    project = models.ForeignKey(
        "workspace.Project", null=True, blank=True, on_delete=models.SET_NULL, related_name="agent_sessions"
    )
    agent_id = models.CharField(max_length=64)
    agent_name = models.CharField(max_length=200)
    command = models.JSONField(default=list)
    cwd = models.CharField(max_length=4096)
    title = models.CharField(max_length=TITLE_MAX_LENGTH, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.STARTING)
    # The agent's own id for the session (session/new), needed to session/load it again.
    acp_session_id = models.CharField(max_length=200, blank=True)
    can_load = models.BooleanField(default=False)
    agent_info = models.JSONField(default=dict, blank=True)
    stop_reason = models.CharField(max_length=64, blank=True)
    end_reason = models.TextField(blank=True)
    # The agent's process (it leads its own session) and the server that started it.
    pid = models.IntegerField(null=True, blank=True)
    server_pid = models.IntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    objects = AgentSessionManager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.agent_name} session {self.id}"

    def as_dict(self) -> dict:
        return {
            "sessionId": self.id,
            "projectId": self.project_id,
            "agentId": self.agent_id,
            "agentName": self.agent_name,
            "title": self.title or self.agent_name,
            "state": self.state,
            "canLoad": self.can_load,
            "stopReason": self.stop_reason or None,
            "endReason": self.end_reason or None,
            "createdAt": clock.iso(self.created_at),
            "updatedAt": clock.iso(self.updated_at),
            "endedAt": clock.iso(self.ended_at),
        }

    def change(self, **fields) -> None:
        """Set ``fields`` and save them with a new ``updated_at`` (and ``ended_at`` when the state ends)."""
        if fields.get("state") in (State.ENDED, State.FAILED) and self.ended_at is None:
            fields["ended_at"] = clock.now()
        fields["updated_at"] = clock.now()
        for name, value in fields.items():
            setattr(self, name, value)
        self.save(update_fields=list(fields))

    def record(self, updates: list[tuple[int, dict]]) -> None:
        """Append ``(seq, payload)`` updates to the record, in one transaction."""
        with transaction.atomic():
            AgentUpdate.objects.bulk_create(
                AgentUpdate(session=self, seq=seq, payload=payload) for seq, payload in updates
            )
            AgentSession.objects.filter(pk=self.pk).update(updated_at=clock.now())

    def replay(self, after: int = 0) -> list[tuple[int, dict]]:
        """Return the recorded updates after sequence number ``after``, in order."""
        return list(self.updates.filter(seq__gt=after).order_by("seq").values_list("seq", "payload"))

    def server_alive(self) -> bool:
        """Return whether the server process that started this session still runs (not a newer one on its pid)."""
        return lifecycle.server_still_runs(self.server_pid, self.created_at)


class AgentUpdate(models.Model):
    session = models.ForeignKey(AgentSession, on_delete=models.CASCADE, related_name="updates")
    # 1, 2, 3 ... per session: the order the agent sent them in, and what a reattaching device asks after.
    seq = models.PositiveIntegerField()
    payload = models.JSONField()
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["session", "seq"]
        constraints = [models.UniqueConstraint(fields=["session", "seq"], name="agent_update_seq_unique")]

    def __str__(self) -> str:
        return f"update {self.seq} of session {self.session_id}"
