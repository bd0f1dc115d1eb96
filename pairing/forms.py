"""The JSON bodies the auth API accepts, checked declaratively (a form fed the decoded body)."""

from __future__ import annotations

from django import forms

from t3site.http import BadRequest


class JsonText(forms.CharField):
    """Text from a JSON body: a string, never a list or number turned into one."""

    def to_python(self, value):
        if value not in self.empty_values and not isinstance(value, str):
            raise forms.ValidationError("must be a string")
        return super().to_python(value)


class JsonForm(forms.Form):
    def cleaned(self) -> dict:
        """Return the cleaned data, or raise BadRequest naming the first field that is wrong."""
        if not self.is_valid():
            field, problems = next(iter(self.errors.items()))
            raise BadRequest(f"{field}: {problems[0]}")
        return self.cleaned_data


class RenameForm(JsonForm):
    # Longer names are cut by DeviceSession.rename, as at pairing, not refused.
    label = JsonText()


class JsonTextList(forms.Field):
    """A list of strings from a JSON body, or None when absent; an empty list stays empty (not absent)."""

    def to_python(self, value):
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise forms.ValidationError("must be a list of strings")
        return value


class TicketForm(JsonForm):
    # Checked against the caller's scopes by WebSocketTicket.objects.issue (pairing.scopes.narrow).
    scopes = JsonTextList(required=False)
