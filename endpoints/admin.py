"""The owner's connection choices in the admin: shown, changed only on the Connections page.

Changing network access moves the running server's listener (and saves the mode only once the
new address answers); a row edited here would save a mode the server is not listening on. So the
admin shows both choices and points to the page that applies them.
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from endpoints.models import ConnectionSettings


@admin.register(ConnectionSettings)
class ConnectionSettingsAdmin(admin.ModelAdmin):
    list_display = ("default_endpoint", "network_access", "updated_at", "change_it")
    list_display_links = None
    fields = ("default_endpoint", "network_access", "updated_at", "change_it")
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        ConnectionSettings.objects.current()  # the one row exists, with its defaults, from the first look
        return super().changelist_view(request, extra_context)

    @admin.display(description="default endpoint")
    def default_endpoint(self, obj: ConnectionSettings) -> str:
        return obj.default_preference_key or "automatic (LAN, else another non-loopback address)"

    @admin.display(description="change it")
    def change_it(self, obj: ConnectionSettings) -> str:
        return format_html('<a href="{}">on the Connections page</a>', reverse("connections"))
