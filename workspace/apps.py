from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    name = "workspace"
    verbose_name = "Workspace"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Importing the method modules registers their JSON-RPC methods.
        from endpoints import descriptor
        from workspace import methods, project_changes, rpc  # noqa: F401
        from workspace.terminals import registry

        # The descriptor names the method namespaces (agents' too, registered after this).
        descriptor.offer_capabilities(rpc.capabilities)

        # Only receivers are connected here: leftovers are ended when `serve` sends server_started, so
        # commands, migrations and tests that never start a server signal no process.
        registry.connect_signals()
        project_changes.connect_signals()
