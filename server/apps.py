from django.apps import AppConfig


class ServerConfig(AppConfig):
    name = "server"
    verbose_name = "The server process"

    def ready(self) -> None:
        from pairing import links
        from server import runtime

        # `auth pairing create` (pairing) names the running server in its link; only this app can find it.
        links.find_running_origin_with(runtime.running_origin)
