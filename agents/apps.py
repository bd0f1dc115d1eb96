from django.apps import AppConfig


class AgentsConfig(AppConfig):
    name = "agents"
    verbose_name = "Agents"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Importing the methods registers agents.* with the socket's registry (workspace never imports agents).
        from agents import live, methods  # noqa: F401

        live.connect_signals()
