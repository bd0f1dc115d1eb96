"""The JSON bodies the endpoints API accepts, checked declaratively (t3site.forms)."""

from __future__ import annotations

from django import forms

from endpoints import tailscale
from endpoints.discovery import LOOPBACK, PREFERENCE_KEYS, is_known_preference_key
from endpoints.models import NETWORK_MODES
from endpoints.qr import QR_TEXT_MAX_CHARS
from t3site.forms import JsonForm, JsonInteger, JsonText


class DefaultEndpointForm(JsonForm):
    preferenceKey = JsonText()  # noqa: N815 - named as on the wire

    def clean_preferenceKey(self) -> str:  # noqa: N802 - Django's clean_<field>
        key = self.cleaned_data["preferenceKey"]
        if not is_known_preference_key(key):
            raise forms.ValidationError(
                "use core:lan:http, tailscale:ip:http, tailscale:magicdns:https or custom:<https url>"
            )
        if key == PREFERENCE_KEYS[LOOPBACK]:
            raise forms.ValidationError(
                "loopback reaches this machine only: it cannot be the default for other devices"
            )
        return key


class TailscaleServeForm(JsonForm):
    httpsPort = JsonInteger(required=False, min_value=1, max_value=65535)  # noqa: N815 - named as on the wire

    def clean_httpsPort(self) -> int:  # noqa: N802 - Django's clean_<field>
        return self.cleaned_data["httpsPort"] or tailscale.DEFAULT_HTTPS_PORT


class NetworkAccessForm(JsonForm):
    mode = forms.ChoiceField(choices=[(mode, mode) for mode in NETWORK_MODES])


class QrForm(JsonForm):
    # Not stripped: the code shows exactly the text it was given.
    text = JsonText(max_length=QR_TEXT_MAX_CHARS, strip=False)
