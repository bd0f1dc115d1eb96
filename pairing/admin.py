"""Pairing links and device sessions in the admin: listed, revocable, never showing a secret."""

from __future__ import annotations

from django.contrib import admin, messages

from pairing.models import DeviceSession, PairingCredential


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows are made by pairing and revoked by action; nobody edits or deletes them here.

    Deleting would skip revocation's side effects, so revocation is the only way out.
    """

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PairingCredential)
class PairingCredentialAdmin(ReadOnlyAdmin):
    list_display = ("id", "label", "role", "scope_list", "state", "created_at", "expires_at", "claimed_at")
    list_filter = ("role",)
    search_fields = ("id", "label")
    fields = ("id", "label", "role", "scopes", "created_at", "expires_at", "claimed_at", "revoked_at", "revoked_reason")
    actions = ["revoke_selected"]

    @admin.display(description="scopes")
    def scope_list(self, obj: PairingCredential) -> str:
        return " ".join(obj.scopes)

    @admin.action(description="Revoke selected pairing links")
    def revoke_selected(self, request, queryset):
        count = queryset.revoke("revoked in the admin")
        self.message_user(request, f"Revoked {count} pairing link(s).", messages.SUCCESS)


@admin.register(DeviceSession)
class DeviceSessionAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "label",
        "role",
        "scope_list",
        "client_ip",
        "short_user_agent",
        "created_at",
        "last_seen_at",
        "last_connected_at",
        "expires_at",
        "state",
    )
    list_filter = ("role", "auth_mode")
    search_fields = ("id", "label", "client_ip", "user_agent")
    fields = (
        "id",
        "label",
        "role",
        "scopes",
        "auth_mode",
        "client_ip",
        "user_agent",
        "created_at",
        "last_seen_at",
        "last_connected_at",
        "expires_at",
        "absolute_expires_at",
        "revoked_at",
        "revoked_reason",
    )
    actions = ["revoke_selected"]

    @admin.display(description="scopes")
    def scope_list(self, obj: DeviceSession) -> str:
        return " ".join(obj.scopes)

    @admin.display(description="user agent")
    def short_user_agent(self, obj: DeviceSession) -> str:
        return obj.user_agent[:60]

    @admin.action(description="Revoke selected device sessions")
    def revoke_selected(self, request, queryset):
        count = queryset.revoke("revoked in the admin")
        self.message_user(request, f"Revoked {count} device session(s); their open sockets are being closed.")
