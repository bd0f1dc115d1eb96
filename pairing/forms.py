"""The JSON bodies the auth API accepts, checked declaratively (t3site.forms)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django import forms

from pairing import scopes as scope_rules
from t3site.durations import DurationError, parse_duration
from t3site.forms import JsonForm, JsonText, JsonTextList

PAIRING_MODES = ("cookie", "bearer")
DEFAULT_LINK_TTL = "5m"


class PairForm(JsonForm):
    token = JsonText()
    # Longer names are cut by DeviceSession.objects.issue, not refused.
    label = JsonText(required=False)
    mode = forms.ChoiceField(choices=[(mode, mode) for mode in PAIRING_MODES], required=False)

    def clean_mode(self) -> str:
        return self.cleaned_data["mode"] or "bearer"


class BaseUrl(JsonText):
    """The address a link is for (one of this server's endpoints): an http(s) URL and nothing more."""

    def validate(self, value: str) -> None:
        super().validate(value)
        if not value:
            return
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError:
            raise forms.ValidationError("must be an http(s) URL") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise forms.ValidationError("must be an http(s) URL")
        if parts.username or parts.password or parts.query or parts.fragment:
            raise forms.ValidationError("must be an http(s) URL without a user, query or fragment")


class PairingLinkForm(JsonForm):
    label = JsonText(required=False)
    role = forms.ChoiceField(choices=[(role, role) for role in scope_rules.ROLES], required=False)
    scopes = JsonTextList(required=False)
    ttl = JsonText(required=False)
    # Where the device will reach this server: the link's URL is made for it (the request's own
    # address when absent), so no client builds a pairing URL itself.
    baseUrl = BaseUrl(required=False)  # noqa: N815 - named as on the wire

    def clean_role(self) -> str:
        return self.cleaned_data["role"] or scope_rules.LINK_DEFAULT_ROLE

    def clean_ttl(self) -> int:
        try:
            return parse_duration(self.cleaned_data["ttl"] or DEFAULT_LINK_TTL)
        except DurationError as exc:
            raise forms.ValidationError(str(exc)) from None


class RenameForm(JsonForm):
    # Longer names are cut by DeviceSession.rename, as at pairing, not refused.
    label = JsonText()


class TicketForm(JsonForm):
    # Checked against the caller's scopes by WebSocketTicket.objects.issue (pairing.scopes.narrow).
    scopes = JsonTextList(required=False)
