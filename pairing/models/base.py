"""What every credential shares: the abstract Credential, keyed digests, device names and the errors.

The raw value of every credential is returned once, by the manager method that
makes it, and never stored: rows hold a keyed digest (pairing.tokens.digest).
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.db import models

from pairing import tokens
from t3site import clock
from t3site.errors import Explained
from t3site.ids import LABEL_MAX_LENGTH, new_id


class CredentialError(Explained):
    """A credential was refused; ``code`` is the API error code."""

    code = "invalid_token"


class InvalidLabel(ValueError):
    """A name for a device that cannot be used (an empty one)."""


def clean_label(label: str) -> str:
    """Return ``label`` stripped and cut to LABEL_MAX_LENGTH; raise InvalidLabel when nothing is left."""
    cleaned = " ".join(label.split())[:LABEL_MAX_LENGTH]
    if not cleaned:
        raise InvalidLabel("a device name cannot be empty")
    return cleaned


class InvalidToken(CredentialError):
    code = "invalid_token"


class ExpiredToken(CredentialError):
    code = "expired_token"


@lru_cache(maxsize=4)
def _digest_key(secret: str) -> bytes:
    return tokens.derive_key(secret, "token-digest")


def digest(raw: str) -> str:
    """Return the keyed digest of a raw credential."""
    return tokens.digest(raw, _digest_key(settings.SECRET_KEY))


class CredentialQuerySet(models.QuerySet):
    """What both credentials' querysets share: their rows in each state their ``state`` property says."""

    def states(self, now) -> dict[str, models.QuerySet]:
        """Return, for each state (in the order listings give them), the rows in it at ``now``, unrevoked first."""
        raise NotImplementedError

    def in_state(self, state: str, now=None):
        """Return the credentials whose ``state`` property is ``state``, as one query."""
        states = self.states(now or clock.now())
        if state not in states:
            raise ValueError(f"a {self.model._meta.verbose_name} is {', '.join(states)}, not {state!r}")
        return states[state]

    def revoked(self):
        return self.filter(revoked_at__isnull=False)


class Credential(models.Model):
    """What a pairing link and a device session share, as AbstractBaseSession is to Django's sessions.

    Each is found by the keyed digest of its raw value, named for people, grants scopes, and
    ends by revocation, never by deletion (its queryset's ``revoke`` does what that means).
    """

    id = models.CharField(primary_key=True, max_length=16, default=new_id, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    label = models.CharField(max_length=LABEL_MAX_LENGTH, blank=True)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(default=clock.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.id} ({self.label or self.role})"

    def revoke(self, reason: str = "revoked") -> bool:
        """Revoke this credential if it is still live, through its queryset; return whether it was."""
        revoked = bool(type(self).objects.filter(pk=self.pk).revoke(reason))
        self.refresh_from_db()
        return revoked
