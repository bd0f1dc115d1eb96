"""Request bodies checked declaratively: a Django form fed the decoded JSON body.

A view builds its form from ``t3site.http.read_json(request)`` and takes ``form.cleaned()``;
the first problem becomes the API's 400 ``bad_request``, one sentence that names its field
(``JsonForm.sentence``). The fields here take JSON's own types: a string stays a string, never
a number or a list turned into one.
"""

from __future__ import annotations

from django import forms
from django.forms.forms import NON_FIELD_ERRORS

from t3site.http import BadRequest


class Sentence(forms.Field):
    """A field whose every problem is the one sentence ``message``, which names the field itself."""

    def __init__(self, message: str, *, required: bool = False) -> None:
        super().__init__(required=required, error_messages={"required": message, "invalid": message})

    def refuse(self):
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


class JsonForm(forms.Form):
    def cleaned(self) -> dict:
        """Return the cleaned data, or raise BadRequest with the first problem as a sentence naming its field."""
        if not self.is_valid():
            field, problems = next(iter(self.errors.items()))
            raise BadRequest(self.sentence(field, problems[0]))
        return self.cleaned_data

    def sentence(self, field: str, problem: str) -> str:
        """Return ``problem`` of ``field`` as the API says it: ``field: problem``.

        A Sentence field's problems name it already, and a problem of the whole body
        (``clean``) names what it is about: those are said as they are.
        """
        if field == NON_FIELD_ERRORS or isinstance(self.fields.get(field), Sentence):
            return problem
        return f"{field}: {problem}"


class JsonText(forms.CharField):
    """Text from a JSON body: a string, never a list or number turned into one."""

    def to_python(self, value):
        if value not in self.empty_values and not isinstance(value, str):
            raise forms.ValidationError("must be a string")
        return super().to_python(value)


class JsonTextList(forms.Field):
    """A list of strings from a JSON body, or None when absent; an empty list stays empty (not absent)."""

    def to_python(self, value):
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise forms.ValidationError("must be a list of strings")
        return value


class JsonInteger(forms.IntegerField):
    """A JSON integer: never a string of digits, a fraction or a boolean."""

    def to_python(self, value):
        if value not in self.empty_values and (isinstance(value, bool) or not isinstance(value, int)):
            raise forms.ValidationError("must be a whole number")
        return super().to_python(value)
