"""What can go wrong with an agent, each as one message that says what to do. No Django imports."""

from __future__ import annotations

from t3site.errors import Explained


class AgentError(Explained):
    """An agent could not do what was asked; ``code`` is the socket error's ``data.reason``."""


class NotInstalled(AgentError):
    code = "not_installed"


class StartFailed(AgentError):
    code = "start_failed"


class AuthRequired(AgentError):
    code = "auth_required"


class UnsupportedProtocol(AgentError):
    code = "unsupported_protocol"


class SessionEnded(AgentError):
    code = "ended"


class Busy(AgentError):
    code = "busy"


class UnknownRequest(AgentError):
    code = "unknown_request"


class AlreadyAnswered(AgentError):
    code = "already_answered"
