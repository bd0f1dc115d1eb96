from django.apps import AppConfig


class EnvironmentsConfig(AppConfig):
    name = "environments"
    verbose_name = "Saved environments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from environments.ssh import server_forwards, teardown

        # Only receivers are connected here: the forwards open when `serve` sends server_started,
        # so commands, migrations and tests that never start a server open no SSH connection.
        server_forwards.connect_signals()
        teardown.connect_signals()
