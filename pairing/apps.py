from django.apps import AppConfig
from django.contrib import admin
from django.contrib.admin import apps as admin_apps


class PairingConfig(AppConfig):
    default = True
    name = "pairing"
    verbose_name = "Pairing and device sessions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Connects the receiver that closes a revoked session's sockets, in every process that can revoke.
        # And the one that drops the cache of resolved sessions (pairing.resolved).
        from pairing import resolved, revocation  # noqa: F401


class OwnerAdminConfig(admin_apps.AdminConfig):
    """The Django admin, opened to owner-paired devices instead of passwords."""

    default = False
    default_site = "pairing.admin_site.OwnerAdminSite"

    def ready(self) -> None:
        super().ready()  # autodiscover: every app's admin.py has registered its models now
        admin.site.hide_accounts()
