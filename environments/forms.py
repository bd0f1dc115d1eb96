"""The JSON bodies the saved-environments API accepts, checked declaratively (a form fed the decoded body).

Each field but httpBaseUrl is a t3site.forms.Sentence: any problem is one sentence that names
it, the message the API has always given (docs/environments.md). A null field is taken as absent.
"""

from __future__ import annotations

from django import forms

from environments.hosts import BadAddress, normalize_host, ws_base_url
from environments.models import Environment
from environments.ssh.target import DEFAULT_REMOTE_DIR
from t3site.forms import JsonForm, Sentence
from t3site.ids import LABEL_MAX_LENGTH

ENVIRONMENT_ID_MAX_LENGTH = 64
MAX_PORT = 65535


class Text(Sentence):
    """A string, stripped when ``strip``; never a number or a list turned into one."""

    def __init__(self, message: str, *, required: bool = False, max_length: int | None = None, strip: bool = False):
        super().__init__(message, required=required)
        self.max_length, self.strip = max_length, strip

    def to_python(self, value):
        if value is None:
            return ""
        if not isinstance(value, str) or (self.max_length is not None and len(value) > self.max_length):
            self.refuse()
        return value.strip() if self.strip else value


class Label(Text):
    """A name people give: not blank, stripped, cut (not refused) at LABEL_MAX_LENGTH; "" when absent."""

    def __init__(self, *, required: bool = False) -> None:
        super().__init__("label must be a non-empty string", required=required, strip=True)

    def to_python(self, value):
        if value is not None and not (isinstance(value, str) and value.strip()):
            self.refuse()
        return super().to_python(value)[:LABEL_MAX_LENGTH]


class Port(Sentence):
    def to_python(self, value):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= MAX_PORT):
            self.refuse()
        return value


class Choice(Sentence):
    """One of ``choices``; ``default`` when absent."""

    def __init__(self, message: str, choices: tuple[str, ...], default: str) -> None:
        super().__init__(message)
        self.choices, self.default = choices, default

    def to_python(self, value):
        if value is None:
            return self.default
        if value not in self.choices:
            self.refuse()
        return value


class Flag(Sentence):
    """A JSON boolean; False when absent."""

    def to_python(self, value):
        if value is not None and not isinstance(value, bool):
            self.refuse()
        return bool(value)


class LocalPath(Sentence):
    """A path on this machine, or None when absent or empty."""

    def to_python(self, value):
        if value and not isinstance(value, str):
            self.refuse()
        return value or None


class Fingerprint(Sentence):
    """The SHA256: fingerprint of a host key the person approved, or False when none was."""

    def to_python(self, value):
        if value and not (isinstance(value, str) and value.startswith("SHA256:")):
            self.refuse()
        return value or False


class BackendAddress(forms.Field):
    """An http(s) origin, normalised as environments.hosts does; its problem is the address's."""

    def to_python(self, value):
        try:
            return normalize_host(value if isinstance(value, str) else "")
        except BadAddress as exc:
            raise forms.ValidationError(str(exc), code="invalid") from None


class SSHTarget(Sentence):
    """An SSH environment's ``{"host", "port"?, "user"?}``, or None when absent."""

    def __init__(self) -> None:
        super().__init__('ssh must be {"host", "port"?, "user"?}')

    def to_python(self, value):
        if value is None:
            return None
        if not isinstance(value, dict) or not isinstance(value.get("host"), str) or not value["host"]:
            self.refuse()
        port = Port("ssh.port must be a port number").clean(value.get("port"))
        user = value.get("user", "")
        if not isinstance(user, str):
            raise forms.ValidationError("ssh.user must be a string", code="invalid")
        return {"host": value["host"], "port": port, "user": user}


class SavedEnvironmentForm(JsonForm):
    """POST /api/environments: a backend a browser has just paired with; cleans to save_paired's arguments.

    Fields are named as on the wire.
    """

    environmentId = Text(
        f"environmentId must be a string of 1 to {ENVIRONMENT_ID_MAX_LENGTH} characters",
        required=True,
        max_length=ENVIRONMENT_ID_MAX_LENGTH,
    )
    httpBaseUrl = BackendAddress()
    # Checked against httpBaseUrl below.
    wsBaseUrl = Sentence("wsBaseUrl must be the WebSocket address of httpBaseUrl")
    kind = Choice('kind must be "direct" or "ssh"', (Environment.DIRECT, Environment.SSH), Environment.DIRECT)
    ssh = SSHTarget()
    # Without a label, an entry keeps its own (a new one is named by its environmentId).
    label = Label()

    def clean_wsBaseUrl(self) -> str | None:
        if "httpBaseUrl" not in self.cleaned_data:
            return None  # refused already
        expected = ws_base_url(self.cleaned_data["httpBaseUrl"])
        given = self.cleaned_data["wsBaseUrl"]
        if given is not None and (not isinstance(given, str) or given.rstrip("/") != expected):
            raise forms.ValidationError(f"wsBaseUrl must be {expected}, the WebSocket address of httpBaseUrl")
        return expected

    def clean(self) -> dict:
        if "sessionToken" in self.data:
            # The browser that paired keeps its credential; this server must never see it.
            raise forms.ValidationError("do not send sessionToken: a browser keeps its own credentials")
        data = super().clean()
        if "kind" in data and "ssh" in data and (data["kind"] == Environment.SSH) != (data["ssh"] is not None):
            raise forms.ValidationError(
                'an "ssh" environment needs ssh {"host", "port", "user"}; a direct one has none'
            )
        return {
            "environment_id": data.get("environmentId"),
            "label": data.get("label"),
            "http_base_url": data.get("httpBaseUrl"),
            "ws_base_url": data.get("wsBaseUrl"),
            "kind": data.get("kind"),
            "ssh": data.get("ssh"),
        }


class RenameForm(JsonForm):
    """PATCH /api/environments/<key>: ``{"label"}``."""

    label = Label(required=True)


class SSHLaunchForm(JsonForm):
    """POST /api/environments/ssh: where to launch; cleans to launch_and_pair's arguments."""

    target = Text('target must be "[user@]host"', required=True, strip=True)
    port = Port("port must be a port number")
    identity = LocalPath("identity and remoteDir must be paths")
    remoteDir = LocalPath("identity and remoteDir must be paths")
    # The page sends the fingerprint it showed the user: a different key is never recorded.
    acceptNewHostKey = Fingerprint("acceptNewHostKey must be the SHA256: fingerprint you approved")
    label = Label()
    # Install t3site there first when it is missing (environments.ssh.install).
    install = Flag("install must be true or false")

    def clean(self) -> dict:
        data = super().clean()
        return {
            "text": data.get("target"),
            "install": data.get("install", False),
            "port": data.get("port"),
            "identity": data.get("identity"),
            "label": data.get("label") or None,
            "remote_dir": data.get("remoteDir") or DEFAULT_REMOTE_DIR,
            "accept_new_host_key": data.get("acceptNewHostKey"),
        }
