"""Failed-attempt counts of the rate limit (pairing.ratelimit), kept where a restart cannot wipe them."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, models, transaction
from django.db.models import F

from t3site import clock


class FailureWindowManager(models.Manager):
    def add(self, key: str, delta: int, expires_at: datetime) -> int:
        """Add ``delta`` to the count of window ``key`` and return the new count, atomically.

        The UPDATE holds the row's lock until the transaction ends, so the count read back is
        this call's own (PostgreSQL); SQLite runs the whole transaction alone (IMMEDIATE).
        A window seen for the first time is created, and windows that have ended are deleted.
        """
        with transaction.atomic():
            if not self.filter(key=key).update(count=F("count") + delta):
                if delta <= 0:
                    return 0  # giving back a slot of a window already cleaned away: nothing to do
                try:
                    with transaction.atomic():
                        self.create(key=key, count=delta, expires_at=expires_at)
                except IntegrityError:  # another process created it first: count on its row
                    self.filter(key=key).update(count=F("count") + delta)
                else:
                    self.filter(expires_at__lte=clock.now()).delete()
            return self.filter(key=key).values_list("count", flat=True).get()


class FailureWindow(models.Model):
    """How many attempts one client IP has taken in one fixed window, and when the row can go."""

    key = models.CharField(max_length=200, unique=True)
    count = models.IntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    objects = FailureWindowManager()

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
