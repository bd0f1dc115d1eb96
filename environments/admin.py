"""Saved environments in the admin: listed and renamable. There is no credential here to show."""

from __future__ import annotations

from django.contrib import admin, messages

from environments.models import Environment


@admin.register(Environment)
class EnvironmentAdmin(admin.ModelAdmin):
    list_display = ("label", "kind", "http_base_url", "environment_id", "created_at", "last_connected_at")
    list_filter = ("kind",)
    search_fields = ("label", "environment_id", "http_base_url")
    readonly_fields = (
        "id",
        "environment_id",
        "http_base_url",
        "ws_base_url",
        "kind",
        "ssh_host",
        "ssh_port",
        "ssh_user",
        "created_at",
        "last_connected_at",
    )
    actions = ["remove_selected"]

    def has_add_permission(self, request) -> bool:
        return False  # an environment is added by pairing with it

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # deleting would leave its stored credential behind: the action below drops both

    @admin.action(description="Remove the selected environments, log their sessions out, drop their credentials")
    def remove_selected(self, request, queryset) -> None:
        """Remove as `manage.py environments remove` does: an SSH environment's managed server is stopped too."""
        environments = list(queryset)
        for environment in environments:
            label = environment.label
            if message := environment.remove().message:
                messages.warning(request, f"{label}: {message}")
        messages.success(request, f"Removed {len(environments)} environment(s).")
