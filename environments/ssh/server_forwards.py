"""The `serve` process keeps a forward open for every saved SSH environment while it runs.

Connected to t3site.lifecycle: forwards open when the server has started and close
when it stops. A background thread reconciles every few seconds, so environments
added or removed by a command in another process are picked up without a restart.
"""

from __future__ import annotations

import logging
import threading
import time

from django.db import close_old_connections

from environments.models import Environment
from environments.ssh import service, store
from environments.ssh.client import SSHError
from environments.ssh.forward import Forward
from t3site import lifecycle

logger = logging.getLogger("t3site.ssh")

RECONCILE_SECONDS = 5
# An environment whose forward could not open is tried again after this long, not every pass.
RETRY_OPEN_SECONDS = 30


class ForwardRegistry:
    """The forwards this process holds, by environmentId."""

    def __init__(self) -> None:
        self._forwards: dict[str, Forward] = {}
        self._failed_at: dict[str, float] = {}
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def get(self, environment_id: str) -> Forward | None:
        with self._lock:
            return self._forwards.get(environment_id)

    def close(self, environment_id: str) -> None:
        with self._lock:
            forward = self._forwards.pop(environment_id, None)
        if forward is not None:
            forward.close()

    def reconcile(self) -> None:
        """Open a forward for each saved SSH environment that has none; close those no longer saved."""
        saved = {env.environment_id: env for env in Environment.objects.filter(kind=Environment.SSH)}
        with self._lock:
            held = dict(self._forwards)
        for environment_id, forward in held.items():
            route = store.get(environment_id)
            if environment_id not in saved or route is None or route.local_port != forward.local_port:
                self.close(environment_id)
        for environment_id, environment in saved.items():
            if self.get(environment_id) or self._stopped.is_set():
                continue
            if time.monotonic() - self._failed_at.get(environment_id, -RETRY_OPEN_SECONDS) < RETRY_OPEN_SECONDS:
                continue
            try:
                forward = service.open_forward(environment)
            except (SSHError, OSError) as exc:
                self._failed_at[environment_id] = time.monotonic()
                logger.warning("SSH environment %r: no forward yet (%s)", environment.label, exc)
                continue
            self._failed_at.pop(environment_id, None)
            with self._lock:
                self._forwards[environment_id] = forward
            logger.info("SSH environment %r forwarded at %s", environment.label, forward.url)

    def start(self) -> None:
        """Reconcile now and every RECONCILE_SECONDS on a background thread, until stop()."""
        self._stopped.clear()
        self._thread = threading.Thread(target=self._loop, name="ssh-forwards", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stopped.is_set():
            try:
                self.reconcile()
            except Exception:
                logger.exception("SSH forwards: reconcile failed")
            finally:
                # This thread's own database connection: close it rather than hold it between passes.
                close_old_connections()
            self._stopped.wait(RECONCILE_SECONDS)

    def stop(self) -> None:
        """Stop reconciling and close every forward this process holds."""
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout=RECONCILE_SECONDS)
        with self._lock:
            held, self._forwards = list(self._forwards.values()), {}
        for forward in held:
            forward.close()


forwards = ForwardRegistry()


def _on_server_started(**_) -> None:
    forwards.start()


def _on_server_stopping(**_) -> None:
    forwards.stop()


def connect_signals() -> None:
    """Make the `serve` process own the SSH forwards (call once, from the app's ready())."""
    lifecycle.server_started.connect(_on_server_started, dispatch_uid="environments.ssh.forwards.start")
    lifecycle.server_stopping.connect(_on_server_stopping, dispatch_uid="environments.ssh.forwards.stop")
