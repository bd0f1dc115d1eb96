from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    name = "workspace"
    verbose_name = "Workspace"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Importing the method modules registers their JSON-RPC methods.
        from workspace import methods  # noqa: F401
