"""Pairing links and the device sessions claimed with them.

Lookups go by digest; claims are single UPDATE statements guarded by the
credential's state, so of any number of concurrent claims exactly one wins.
"""

from __future__ import annotations

import copy
from datetime import timedelta

from django.conf import settings
from django.db import models, transaction

from pairing import scopes as scope_rules
from pairing import tokens
from pairing.devicenames import device_name
from pairing.lifetimes import PAIRING_MAX_TTL_SECONDS, PAIRING_TTL_SECONDS, TOUCH_INTERVAL_SECONDS
from pairing.models.base import Credential, CredentialQuerySet, ExpiredToken, InvalidToken, clean_label, digest
from pairing.signals import sessions_revoked
from t3site import clock
from t3site.ids import LABEL_MAX_LENGTH

LINK_STATES = ("active", "used", "expired", "revoked")
SESSION_STATES = ("active", "expired", "revoked")


class PairingCredentialQuerySet(CredentialQuerySet):
    def claimable(self, now=None):
        now = now or clock.now()
        return self.filter(claimed_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)

    def states(self, now) -> dict[str, models.QuerySet]:
        """LINK_STATES: what PairingCredential.state says of each row."""
        return {
            "active": self.claimable(now),
            "used": self.filter(revoked_at__isnull=True, claimed_at__isnull=False),
            "expired": self.filter(revoked_at__isnull=True, claimed_at__isnull=True, expires_at__lte=now),
            "revoked": self.revoked(),
        }

    def revoke(self, reason: str = "revoked") -> int:
        """Revoke every unclaimed, unrevoked link in this queryset; return how many."""
        return self.filter(claimed_at__isnull=True, revoked_at__isnull=True).update(
            revoked_at=clock.now(), revoked_reason=reason
        )


class PairingCredentialManager(models.Manager.from_queryset(PairingCredentialQuerySet)):
    def issue(
        self,
        *,
        role: str = scope_rules.LINK_DEFAULT_ROLE,
        scopes: list[str] | None = None,
        label: str = "",
        ttl_seconds: int = PAIRING_TTL_SECONDS,
        created_by: DeviceSession | None = None,
    ) -> tuple[PairingCredential, str]:
        """Create a one-time pairing link and return it with its raw code (the only copy).

        A link is a client link unless ``role`` asks for owner: least privilege for every
        device paired after the first (the owner token `serve` prints asks explicitly).
        """
        if ttl_seconds > PAIRING_MAX_TTL_SECONDS:
            raise scope_rules.GrantError("a pairing link can live 7 days at most (--ttl 7d)")
        resolved = scope_rules.resolve_scopes(role, scopes)
        code = tokens.new_pairing_code()
        now = clock.now()
        credential = self.create(
            digest=digest(code),
            role=role,
            scopes=resolved,
            label=label[:LABEL_MAX_LENGTH],
            created_at=now,
            expires_at=now + timedelta(seconds=ttl_seconds),
            created_by=created_by,
        )
        return credential, code

    def claim(
        self, raw: str, *, label: str = "", client_ip: str | None = None, user_agent: str = "", mode: str = "bearer"
    ) -> tuple[DeviceSession, str]:
        """Exchange a raw pairing code for a new device session and its raw token.

        The device is named by ``label`` (what it typed for itself), else by the link's
        label, else from its User-Agent, so two phones never both show up nameless.
        Raise tokens.MalformedToken, InvalidToken (unknown, used or revoked: a used
        code answers exactly like one that never existed) or ExpiredToken.
        """
        code_digest = digest(tokens.normalize_pairing_code(raw))
        now = clock.now()
        with transaction.atomic():
            # The guarded UPDATE is the claim: the database serializes it, so exactly one
            # concurrent caller sees a row count of 1.
            won = self.filter(digest=code_digest).claimable(now).update(claimed_at=now)
            if not won:
                expired = self.filter(
                    digest=code_digest, claimed_at__isnull=True, revoked_at__isnull=True, expires_at__lte=now
                ).exists()
                if expired:
                    raise ExpiredToken("this pairing token has expired: ask for a new link")
                raise InvalidToken("this pairing token is not valid: it may have been used already; ask for a new link")
            credential = self.get(digest=code_digest)
            session, token = DeviceSession.objects.issue(
                role=credential.role,
                scopes=credential.scopes,
                label=label.strip() or credential.label or device_name(user_agent),
                client_ip=client_ip,
                user_agent=user_agent,
                auth_mode=mode,
                pairing=credential,
            )
            self.filter(pk=credential.pk).update(claimed_session=session)
        return session, token


class PairingCredential(Credential):
    role = models.CharField(max_length=16, default=scope_rules.LINK_DEFAULT_ROLE)
    expires_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_session = models.ForeignKey(
        "DeviceSession", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        "DeviceSession", null=True, blank=True, on_delete=models.SET_NULL, related_name="pairing_links_created"
    )

    objects = PairingCredentialManager()

    class Meta(Credential.Meta):
        verbose_name = "pairing link"

    @property
    def state(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.claimed_at:
            return "used"
        if self.expires_at <= clock.now():
            return "expired"
        return "active"

    def as_dict(self) -> dict:
        """Return the link as the API and `--json` listings show it: never the token or its digest."""
        return {
            "id": self.id,
            "label": self.label,
            "role": self.role,
            "scopes": list(self.scopes),
            "state": self.state,
            "createdAt": clock.iso(self.created_at),
            "expiresAt": clock.iso(self.expires_at),
            "claimedAt": clock.iso(self.claimed_at),
            "revokedAt": clock.iso(self.revoked_at),
        }


class DeviceSessionQuerySet(CredentialQuerySet):
    def active(self, now=None):
        now = now or clock.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=now)

    def states(self, now) -> dict[str, models.QuerySet]:
        """SESSION_STATES: what DeviceSession.state says of each row."""
        return {
            "active": self.active(now),
            "expired": self.filter(revoked_at__isnull=True, expires_at__lte=now),
            "revoked": self.revoked(),
        }

    def revoke(self, reason: str = "revoked") -> int:
        """Revoke every live session in this queryset and cut off their sockets; return how many.

        Admin bulk actions, the CLI and the API all come through here, so the
        side effect (closing open WebSockets, by whoever listens to sessions_revoked) cannot be skipped.
        """
        ids = list(self.filter(revoked_at__isnull=True).values_list("pk", flat=True))
        if not ids:
            return 0
        count = self.model.objects.filter(pk__in=ids, revoked_at__isnull=True).update(
            revoked_at=clock.now(), revoked_reason=reason
        )
        # Links a revoked device minted must not let it (or whoever took it) back in.
        PairingCredential.objects.filter(created_by__in=ids).revoke("the session that created it was revoked")
        transaction.on_commit(lambda: sessions_revoked.send(sender=self.model, session_ids=ids))
        return count


class DeviceSessionManager(models.Manager.from_queryset(DeviceSessionQuerySet)):
    def get_queryset(self):
        # Every session comes with the link it paired with (one join on a primary key), so
        # as_dict() never starts a query of its own: sockets call it from async code, where
        # a lazy lookup would fail.
        return super().get_queryset().select_related("pairing")

    def issue(
        self,
        *,
        role: str = scope_rules.OWNER,
        scopes: list[str] | None = None,
        label: str = "",
        idle_ttl_seconds: int | None = None,
        client_ip: str | None = None,
        user_agent: str = "",
        auth_mode: str = "bearer",
        pairing: PairingCredential | None = None,
    ) -> tuple[DeviceSession, str]:
        """Create a device session and return it with its raw bearer token (the only copy)."""
        now = clock.now()
        maximum = settings.T3SITE_SESSION_MAX_TTL_SECONDS
        idle = min(idle_ttl_seconds or settings.T3SITE_SESSION_IDLE_TTL_SECONDS, maximum)
        raw = tokens.new_session_token()
        absolute = now + timedelta(seconds=maximum)
        session = self.create(
            digest=digest(raw),
            role=role,
            scopes=scope_rules.resolve_scopes(role, scopes),
            label=label[:LABEL_MAX_LENGTH],
            client_ip=client_ip,
            user_agent=user_agent[:400],
            auth_mode=auth_mode,
            pairing=pairing,
            idle_ttl_seconds=idle,
            created_at=now,
            last_seen_at=now,
            absolute_expires_at=absolute,
            expires_at=min(now + timedelta(seconds=idle), absolute),
        )
        return session, raw

    def for_token(self, raw: str) -> DeviceSession | None:
        """Return the session a raw bearer token belongs to, whatever its state, or None."""
        if not tokens.is_session_token(raw or ""):
            return None
        expected = digest(raw)
        session = self.filter(digest=expected).first()
        # The indexed lookup already matched; the constant-time compare keeps the check
        # independent of how the database compares strings.
        if session is None or not tokens.digests_match(session.digest, expected):
            return None
        return session


class DeviceSession(Credential):
    role = models.CharField(max_length=16, default=scope_rules.OWNER)
    auth_mode = models.CharField(max_length=16, default="bearer")
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    # The link this device paired with; empty for a session issued directly (`auth session issue`).
    pairing = models.ForeignKey(
        PairingCredential,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="paired with link",
    )
    last_seen_at = models.DateTimeField(default=clock.now)
    last_connected_at = models.DateTimeField(null=True, blank=True)
    idle_ttl_seconds = models.PositiveIntegerField()
    absolute_expires_at = models.DateTimeField()
    # min(last_seen_at + idle TTL, absolute cap), kept up to date by touch() so that
    # "is it live?" is one indexed comparison.
    expires_at = models.DateTimeField(db_index=True)

    objects = DeviceSessionManager()

    class Meta(Credential.Meta):
        verbose_name = "device session"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > clock.now()

    @property
    def state(self) -> str:
        if self.revoked_at:
            return "revoked"
        return "active" if self.expires_at > clock.now() else "expired"

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def narrowed(self, scopes: list[str]) -> DeviceSession:
        """Return this session as a socket opened with a narrowed ticket sees it: only ``scopes`` it holds.

        A copy, so the row is never written with fewer scopes; its id is the session's, so revoking
        the session still closes that socket. Its has_scope and as_dict answer from the intersection.
        """
        view = copy.copy(self)
        view.scopes = [scope for scope in self.scopes if scope in scopes]
        return view

    def as_dict(self, current_id: str | None = None) -> dict:
        """Return the session as listings show it: never the token or its digest."""
        return {
            "id": self.id,
            "label": self.label,
            "role": self.role,
            "scopes": list(self.scopes),
            "state": self.state,
            "authMode": self.auth_mode,
            "clientIp": self.client_ip,
            "userAgent": self.user_agent,
            # The link the device paired with (None for `auth session issue`), so a listing says
            # which invitation let each device in.
            "pairingId": self.pairing_id,
            "pairingLabel": self.pairing.label if self.pairing_id else "",
            "createdAt": clock.iso(self.created_at),
            "lastSeenAt": clock.iso(self.last_seen_at),
            "lastConnectedAt": clock.iso(self.last_connected_at),
            "expiresAt": clock.iso(self.expires_at),
            "revokedAt": clock.iso(self.revoked_at),
            "current": self.id == current_id,
        }

    def touch(self, *, connected: bool = False) -> None:
        """Slide the idle expiry forward and note a socket connection, each written at most once a minute."""
        now = clock.now()
        changes = self.touch_changes(now, connected=connected)
        if changes:
            type(self).objects.active(now).filter(pk=self.pk).update(**changes)
            for field, value in changes.items():
                setattr(self, field, value)

    def touch_changes(self, now, *, connected: bool = False) -> dict:
        """Return what ``touch`` would write now (nothing, for most requests and handshakes)."""
        changes = {}
        if connected and (
            self.last_connected_at is None or (now - self.last_connected_at).total_seconds() >= TOUCH_INTERVAL_SECONDS
        ):
            changes["last_connected_at"] = now
        if (now - self.last_seen_at).total_seconds() >= TOUCH_INTERVAL_SECONDS:
            changes["last_seen_at"] = now
            changes["expires_at"] = min(now + timedelta(seconds=self.idle_ttl_seconds), self.absolute_expires_at)
        return changes

    def rename(self, label: str) -> str:
        """Give this device a new name and return it; raise InvalidLabel for an empty one.

        One UPDATE of the label alone: a form that was opened before a revocation must not
        write the session's old state back over it.
        """
        self.label = clean_label(label)
        type(self).objects.filter(pk=self.pk).update(label=self.label)
        return self.label
