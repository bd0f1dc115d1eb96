"""A project: a folder on this machine that paired devices work in."""

from __future__ import annotations

from django.db import models

from pairing.models import new_id
from t3site import clock


class Project(models.Model):
    id = models.CharField(primary_key=True, max_length=16, default=new_id, editable=False)
    title = models.CharField(max_length=200)
    # Absolute, resolved path; unique so one folder is never two projects.
    path = models.CharField(max_length=4096, unique=True)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["title", "created_at"]

    def __str__(self) -> str:
        return f"{self.title} ({self.path})"
