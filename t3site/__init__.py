"""t3site: a self-hosted remote-access server for a coding workstation."""

__version__ = "0.1.0"
