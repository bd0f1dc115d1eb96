"""What can go wrong with an agent, each as one message that says what to do. No Django imports."""

from __future__ import annotations


class AgentError(Exception):
    """An agent could not do what was asked; ``reason`` is a short word a client can act on."""

    reason = "failed"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotInstalled(AgentError):
    reason = "not_installed"


class StartFailed(AgentError):
    reason = "start_failed"


class AuthRequired(AgentError):
    reason = "auth_required"


class UnsupportedProtocol(AgentError):
    reason = "unsupported_protocol"


class SessionEnded(AgentError):
    reason = "ended"


class Busy(AgentError):
    reason = "busy"


class UnknownRequest(AgentError):
    reason = "unknown_request"


class AlreadyAnswered(AgentError):
    reason = "already_answered"
