"""Saved environments: backends this server's user can reach and open from the web client."""

from __future__ import annotations

from django.db import models

from pairing.models import new_id
from t3site import clock


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

    class Meta:
        ordering = ["label", "created_at"]

    def __str__(self) -> str:
        return f"{self.label} ({self.http_base_url})"
