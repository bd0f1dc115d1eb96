"""What the owner chose about connections: the default endpoint and network access."""

from __future__ import annotations

from django.db import models

from t3site import clock

LOCAL_ONLY = "local-only"
NETWORK_ACCESSIBLE = "network-accessible"
NETWORK_MODES = (LOCAL_ONLY, NETWORK_ACCESSIBLE)
# The address `serve` listens on for each mode when no --host is given.
BIND_HOSTS = {LOCAL_ONLY: "127.0.0.1", NETWORK_ACCESSIBLE: "0.0.0.0"}
SETTINGS_ROW_ID = 1


class ConnectionSettingsManager(models.Manager):
    def current(self) -> ConnectionSettings:
        """Return the one settings row, creating it with the defaults on first use."""
        row, _ = self.get_or_create(pk=SETTINGS_ROW_ID)
        return row

    def choose_default(self, preference_key: str) -> ConnectionSettings:
        """Remember ``preference_key`` as the owner's default endpoint."""
        self.current()
        self.filter(pk=SETTINGS_ROW_ID).update(default_preference_key=preference_key, updated_at=clock.now())
        return self.current()

    def choose_network_access(self, mode: str) -> ConnectionSettings:
        """Remember the network access mode `serve` uses when it is given no --host."""
        if mode not in NETWORK_MODES:
            raise ValueError(f"network access is {' or '.join(NETWORK_MODES)}, not {mode!r}")
        self.current()
        self.filter(pk=SETTINGS_ROW_ID).update(network_access=mode, updated_at=clock.now())
        return self.current()


class ConnectionSettings(models.Model):
    # A preference key (docs/contract.md §6), not an address: "core:lan:http" stays the
    # default when DHCP hands this machine a new LAN address.
    default_preference_key = models.CharField(max_length=500, blank=True)
    network_access = models.CharField(
        max_length=32, default=LOCAL_ONLY, choices=[(mode, mode) for mode in NETWORK_MODES]
    )
    updated_at = models.DateTimeField(default=clock.now)

    objects = ConnectionSettingsManager()

    class Meta:
        verbose_name = "connection settings"
        verbose_name_plural = "connection settings"

    def __str__(self) -> str:
        return f"connections: default {self.default_preference_key or '(automatic)'}, {self.network_access}"

    @property
    def bind_host(self) -> str:
        return BIND_HOSTS[self.network_access]
