"""Saved environments: backends this server's user can reach and open from the web client."""

from __future__ import annotations

from django.db import models, transaction

from environments import credentials
from pairing.models import new_id
from t3site import clock


class EnvironmentManager(models.Manager):
    def save_paired(
        self,
        *,
        environment_id: str,
        label: str,
        http_base_url: str,
        ws_base_url: str,
        kind: str = "direct",
        ssh: dict | None = None,
        session_token: str | None = None,
        session_id: str = "",
    ) -> tuple[Environment, bool]:
        """Save a backend that was just paired with; return it and whether it is new.

        Keyed by the backend's ``environment_id``: pairing the same backend again
        updates its entry (address, label, kind) instead of adding a second one.
        ``session_token`` is given only by this server's own commands: it goes to
        the credential file, never to the database. Callers pass URLs already
        checked by environments.hosts.
        """
        ssh = ssh or {}
        values = {
            "label": label,
            "http_base_url": http_base_url,
            "ws_base_url": ws_base_url,
            "kind": kind,
            "ssh_host": ssh.get("host", ""),
            "ssh_port": ssh.get("port"),
            "ssh_user": ssh.get("user", ""),
            "last_connected_at": clock.now(),
        }
        with transaction.atomic():
            environment, created = self.update_or_create(environment_id=environment_id, defaults=values)
        if session_token is not None:
            credentials.put(environment_id, session_token, session_id=session_id)
        return environment, created

    def find(self, key: str) -> Environment | None:
        """Return the environment whose row id or environmentId is ``key``."""
        return self.filter(models.Q(pk=key) | models.Q(environment_id=key)).first()


class Environment(models.Model):
    """A backend saved for later (CONTRACT section 7). Never holds a credential: see environments.credentials."""

    DIRECT = "direct"
    SSH = "ssh"
    KINDS = [(DIRECT, "direct"), (SSH, "ssh")]

    id = models.CharField(primary_key=True, max_length=16, default=new_id, editable=False)
    # The backend's own stable id (from its descriptor): pairing it again updates this row.
    environment_id = models.CharField(max_length=64, unique=True)
    label = models.CharField(max_length=200)
    http_base_url = models.CharField(max_length=2048)
    ws_base_url = models.CharField(max_length=2048)
    kind = models.CharField(max_length=8, choices=KINDS, default=DIRECT)
    ssh_host = models.CharField(max_length=255, blank=True)
    ssh_port = models.PositiveIntegerField(null=True, blank=True)
    ssh_user = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    last_connected_at = models.DateTimeField(null=True, blank=True)

    objects = EnvironmentManager()

    class Meta:
        ordering = ["label", "created_at"]

    def __str__(self) -> str:
        return f"{self.label} ({self.http_base_url})"

    def as_dict(self) -> dict:
        """Return the environment in the shape of CONTRACT section 7: never a credential."""
        data = {
            "id": self.id,
            "environmentId": self.environment_id,
            "label": self.label,
            "httpBaseUrl": self.http_base_url,
            "wsBaseUrl": self.ws_base_url,
            "kind": self.kind,
            "createdAt": clock.iso(self.created_at),
            "lastConnectedAt": clock.iso(self.last_connected_at),
        }
        if self.kind == self.SSH:
            data["ssh"] = {"host": self.ssh_host, "port": self.ssh_port, "user": self.ssh_user}
        return data

    def rename(self, label: str) -> None:
        self.label = label
        self.save(update_fields=["label"])

    def remove(self) -> bool:
        """Delete this entry and the credential this server kept for it; return whether there was one."""
        self.delete()
        return credentials.delete(self.environment_id)
