"""Saved environments: backends this server's user can reach and open from the web client."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from django.db import models, transaction

from environments import backend_pairing, credentials, hosts
from environments.backend_pairing import Pairing, log_out
from environments.signals import environment_removing
from environments.ssh.client import Ask, never_ask
from pairing.lifetimes import TOUCH_INTERVAL_SECONDS
from t3site import clock
from t3site.ids import LABEL_MAX_LENGTH, new_id

ROUTE_FIELDS = ("http_base_url", "ws_base_url", "kind", "ssh_host", "ssh_port", "ssh_user")
# lastConnectedAt moves on a relayed open at most this often, as a device session's last_connected_at
# does (one write a minute, however many sockets).
CONNECTED_NOTE_SECONDS = TOUCH_INTERVAL_SECONDS


class RouteChangeRefused(Exception):
    """The caller may not choose where an environment is reached; the message says what needs ``admin``."""


@dataclass(frozen=True)
class Removal:
    """What removing an environment did on its backend: ``message`` is None when all went as it should."""

    message: str | None


class EnvironmentManager(models.Manager):
    def save_paired(
        self,
        *,
        environment_id: str,
        label: str = "",
        fallback_label: str = "",
        http_base_url: str,
        ws_base_url: str,
        kind: str = "direct",
        ssh: dict | None = None,
        session_token: str | None = None,
        session_id: str = "",
        may_route: bool = True,
    ) -> tuple[Environment, bool]:
        """Save a backend that was just paired with; return it and whether it is new.

        Keyed by the backend's ``environment_id``: pairing the same backend again
        updates its entry instead of adding a second one, and never behind the user's back:
        an SSH entry paired again directly (a browser pairing through its forward) stays
        ``ssh`` with its forward, since `serve` keeps that forward only for SSH entries; and
        an entry keeps its label unless ``label`` is a name someone gave (not one made up
        for the address, see hosts.is_default_label). A new entry is named ``label``, else
        ``fallback_label``, else its id.
        ``session_token`` is given only by this server's own commands: it goes to
        the credential file, never to the database. Callers pass URLs already
        checked by environments.hosts.

        ``may_route=False`` (a session without ``admin``) may add a direct entry and
        rename one, but not change where an entry is reached nor add an SSH one:
        browsers and this server send their credential for an environment to its
        saved address, so whoever moves it could collect them. Raise RouteChangeRefused.
        """
        ssh = ssh or {}
        route = {
            "http_base_url": http_base_url,
            "ws_base_url": ws_base_url,
            "kind": kind,
            "ssh_host": ssh.get("host", ""),
            "ssh_port": ssh.get("port"),
            "ssh_user": ssh.get("user", ""),
        }
        with transaction.atomic():
            # Checked and written in one transaction: the row cannot change in between.
            existing = self.select_for_update().filter(environment_id=environment_id).first()
            if existing is not None and existing.kind == Environment.SSH and kind == Environment.DIRECT:
                route = existing.route()
            if existing is not None and hosts.is_default_label(label, hosts.address_of(http_base_url)):
                label = ""
            if not may_route and existing is None and kind == Environment.SSH:
                raise RouteChangeRefused(
                    "saving an SSH environment needs the 'admin' scope: add it with Add over SSH "
                    "or `manage.py environments ssh` on this server"
                )
            if not may_route and existing is not None and existing.route() != route:
                raise RouteChangeRefused(
                    f"{existing.label!r} is saved with another address ({existing.http_base_url}, {existing.kind}): "
                    "only a session with the 'admin' scope may change where a saved environment is reached"
                )
            values = {
                **route,
                "label": label or (existing.label if existing else fallback_label or environment_id),
                "last_connected_at": clock.now(),
            }
            environment, created = self.update_or_create(environment_id=environment_id, defaults=values)
        if session_token is not None:
            credentials.put(environment_id, session_token, session_id=session_id)
        return environment, created

    def pair(
        self,
        http_base_url: str,
        code: str,
        *,
        device_label: str,
        where: str,
        label: str = "",
        kind: str = "direct",
        ssh: dict | None = None,
        environment_id: str | None = None,
    ) -> tuple[Environment, bool, Pairing]:
        """Pair with ``http_base_url`` in bearer mode, save it and its credential, and log out the one replaced.

        The one flow of `environments add` and SSH launch. Without ``label`` a saved entry keeps
        its name and a new one is named by the backend's own label and ``where`` (how this
        server reaches it: environments.hosts.default_label).
        ``environment_id`` is the server the caller expects there: another one is refused and
        nothing is saved. Raise backend_pairing.BackendError.
        """
        paired = backend_pairing.pair(http_base_url, code, device_label=device_label)
        if environment_id is not None and paired.environment_id != environment_id:
            raise backend_pairing.BackendError(
                f"{http_base_url} answered as another server ({paired.environment_id}); nothing was saved"
            )
        replaced = credentials.get(paired.environment_id)
        environment, created = self.save_paired(
            environment_id=paired.environment_id,
            label=label[:LABEL_MAX_LENGTH],
            fallback_label=hosts.default_label(paired.descriptor.get("label", ""), where)[:LABEL_MAX_LENGTH],
            http_base_url=http_base_url,
            ws_base_url=hosts.ws_base_url(http_base_url),
            kind=kind,
            ssh=ssh,
            session_token=paired.session_token,
            session_id=paired.session_id,
        )
        if replaced is not None:
            # Pairing again replaced the old credential: its session must not stay alive unused.
            log_out(http_base_url, replaced)
        return environment, created, paired

    def find(self, key: str) -> Environment | None:
        """Return the environment whose row id or environmentId is ``key``."""
        return self.filter(models.Q(pk=key) | models.Q(environment_id=key)).first()


class Environment(models.Model):
    """A backend saved for later (docs/contract.md §7). Never holds a credential: see environments.credentials."""

    DIRECT = "direct"
    SSH = "ssh"
    KINDS = [(DIRECT, "direct"), (SSH, "ssh")]

    id = models.CharField(primary_key=True, max_length=16, default=new_id, editable=False)
    # The backend's own stable id (from its descriptor): pairing it again updates this row.
    environment_id = models.CharField(max_length=64, unique=True)
    label = models.CharField(max_length=LABEL_MAX_LENGTH)
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

    def note_connected(self) -> None:
        """Record that a device reached this environment through the relay just now (``lastConnectedAt``).

        Written at most once a minute, as a device session's own: every relayed socket is an open,
        and a page that reconnects in a loop must not make a write of each.
        """
        now = clock.now()
        last = self.last_connected_at
        if last is not None and (now - last).total_seconds() < CONNECTED_NOTE_SECONDS:
            return
        type(self).objects.filter(pk=self.pk).update(last_connected_at=now)
        self.last_connected_at = now

    def as_dict(self) -> dict:
        """Return the environment in the shape of docs/contract.md §7: never a credential."""
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
        if credentials.get(self.environment_id) is not None:
            # This server holds the credential, so every device paired here may use it through the relay.
            data["relay"] = self.relay_path
        return data

    @property
    def relay_path(self) -> str:
        """Return the path of this environment's socket relayed through this server (docs/contract.md §8)."""
        return f"/via/{quote(self.environment_id, safe='')}/ws"

    def route(self) -> dict:
        """Return where this environment is reached: what a credential for it is sent to."""
        return {name: getattr(self, name) for name in ROUTE_FIELDS}

    def rename(self, label: str) -> None:
        self.label = label
        self.save(update_fields=["label"])

    def remove(self, *, ask: Ask = never_ask) -> Removal:
        """Log out the session this server holds on the environment, then forget it and its credential.

        Sends environment_removing first: for an SSH environment the SSH package's teardown
        (environments.ssh.teardown) closes its forward, logs out over SSH and stops its remote
        server if the launcher started it; ``ask`` answers passphrase prompts there, and by
        default nothing is asked. Every caller (the command, the API, the admin action)
        removes through here, so none leaves a live session behind. Logging out is best
        effort: the message says what was not done.
        """
        answers = environment_removing.send(sender=Environment, environment=self, ask=ask)
        messages = [message for _, message in answers if message]
        if self.kind == self.DIRECT:
            token = credentials.get(self.environment_id)
            if token is not None and not log_out(self.http_base_url, token):
                messages.append(
                    "Its session could not be logged out on the backend (unreachable?): "
                    "revoke it there with `manage.py auth session list` and `auth session revoke ID`."
                )
        self.delete()
        credentials.delete(self.environment_id)
        return Removal(" ".join(messages) or None)
