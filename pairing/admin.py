"""Pairing links and device sessions in the admin: listed, named, revocable, never showing a secret.

The lists put the state next to the name so it shows on a laptop screen, hide revoked rows
unless asked (they only pile up), and mark the device the admin is using.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import BooleanField, Case, Value, When
from django.template.response import TemplateResponse
from django.utils.html import format_html

from pairing.models import (
    LINK_STATES,
    SESSION_STATES,
    DeviceSession,
    InvalidLabel,
    PairingCredential,
    clean_label,
)


class StateFilter(admin.SimpleListFilter):
    """Filter rows by the state they show; by default every row that is not revoked."""

    title = "state"
    parameter_name = "state"
    states: tuple[str, ...] = ()
    EVERY = "all"

    def lookups(self, request, model_admin):
        return [(state, state) for state in self.states] + [(self.EVERY, "all, revoked too")]

    def choices(self, changelist):
        # Django's own first choice is "All" for "no filter"; here no filter means "not revoked".
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "not revoked",
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset.filter(revoked_at__isnull=True)
        if value == self.EVERY:
            return queryset
        try:
            return queryset.in_state(value)
        except ValueError as exc:
            raise IncorrectLookupParameters(str(exc)) from None


class SessionStateFilter(StateFilter):
    states = SESSION_STATES


class LinkStateFilter(StateFilter):
    states = LINK_STATES


class RevokingAdmin(admin.ModelAdmin):
    """Rows are made by pairing and leave by revocation, never by deletion.

    Deleting would skip revocation's side effects (closing sockets, revoking the links a
    device made), so nobody deletes here; "Revoke selected" asks first, as deleting would.
    """

    actions = ["revoke_selected"]
    revoked_reason = "revoked in the admin"

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="scopes")
    def scope_list(self, obj) -> str:
        return " ".join(obj.scopes)

    @admin.action(description="Revoke selected %(verbose_name_plural)s")
    def revoke_selected(self, request, queryset):
        if request.POST.get("confirmed") != "yes":
            return self.revoke_confirmation(request, queryset)
        count = queryset.revoke(self.revoked_reason)
        self.message_user(request, self.revoked_message(count), messages.SUCCESS)
        return None

    def revoke_confirmation(self, request, queryset):
        context = {
            **self.admin_site.each_context(request),
            "title": f"Revoke {self.model._meta.verbose_name_plural}?",
            "opts": self.model._meta,
            "queryset": queryset,
            "includes_this_device": self.includes_this_device(queryset),
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/pairing/revoke_selected_confirmation.html", context)

    def includes_this_device(self, queryset) -> bool:
        return False

    def revoked_message(self, count: int) -> str:
        raise NotImplementedError


@admin.register(PairingCredential)
class PairingCredentialAdmin(RevokingAdmin):
    list_display = ("id", "state", "label", "role", "scope_list", "expires_at", "used_by")
    list_filter = (LinkStateFilter, "role")
    search_fields = ("id", "label")
    fields = (
        "id",
        "label",
        "role",
        "scopes",
        "created_at",
        "expires_at",
        "claimed_at",
        "claimed_session",
        "revoked_at",
        "revoked_reason",
    )

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # a link's label already named the device; rename the device instead

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("claimed_session")

    @admin.display(description="used by")
    def used_by(self, obj: PairingCredential) -> str:
        if obj.claimed_session is None:
            return "-"
        return obj.claimed_session.label or obj.claimed_session.id

    def revoked_message(self, count: int) -> str:
        return f"Revoked {count} pairing link(s)."


class DeviceNameForm(forms.ModelForm):
    """The one thing the admin changes on a device: its name."""

    class Meta:
        model = DeviceSession
        fields = ("label",)

    def clean_label(self) -> str:
        try:
            return clean_label(self.cleaned_data["label"])
        except InvalidLabel as exc:
            raise forms.ValidationError(str(exc)) from None


@admin.register(DeviceSession)
class DeviceSessionAdmin(RevokingAdmin):
    # Narrow enough for 1280 px: the long user agent is on the detail page only.
    list_display = ("device", "state", "role", "scope_list", "client_ip", "last_seen_at", "paired_with", "id")
    list_filter = (SessionStateFilter, "role")
    search_fields = ("id", "label", "client_ip", "user_agent")
    form = DeviceNameForm
    fields = (
        "label",
        "id",
        "role",
        "scopes",
        "auth_mode",
        "client_ip",
        "user_agent",
        "pairing",
        "created_at",
        "last_seen_at",
        "last_connected_at",
        "expires_at",
        "absolute_expires_at",
        "revoked_at",
        "revoked_reason",
    )
    readonly_fields = fields[1:]

    def get_queryset(self, request):
        # The session this admin is using is marked, so nobody revokes their own browser by mistake.
        current = getattr(request.device_session, "pk", None)
        this_device = Case(When(pk=current, then=Value(True)), default=Value(False), output_field=BooleanField())
        return super().get_queryset(request).annotate(is_this_device=this_device)

    def includes_this_device(self, queryset) -> bool:
        return queryset.filter(is_this_device=True).exists()

    @admin.display(description="device", ordering="label")
    def device(self, obj: DeviceSession) -> str:
        name = obj.label or "(no name)"
        if obj.is_this_device:
            return format_html('{} <strong class="this-device">(this device)</strong>', name)
        return name

    @admin.display(description="paired with link")
    def paired_with(self, obj: DeviceSession) -> str:
        if obj.pairing is None:
            return "-"
        return obj.pairing.label or obj.pairing.id

    def save_model(self, request, obj, form, change) -> None:
        # Only the label: saving the whole row would write back a state read before a revocation.
        obj.rename(form.cleaned_data["label"])

    def revoked_message(self, count: int) -> str:
        return f"Revoked {count} device session(s); their open sockets are being closed."
