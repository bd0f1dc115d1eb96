from django.apps import AppConfig


class RelayConfig(AppConfig):
    name = "relay"
    verbose_name = "Relay to saved environments"

    def ready(self) -> None:
        from relay import removals

        removals.connect_signals()
