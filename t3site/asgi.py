"""ASGI entry point: the hot auth routes and /ws through Channels, other HTTP through Django.

pairing.fast runs the same Django middleware, routes and views as Django's handler, without
the thread that handler starts for every request. Origin and credential checks for /ws happen
in the consumer's handshake (pairing.wsauth), because they depend on which credential is presented.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "t3site.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import re_path  # noqa: E402

from pairing.fast import auth_api_urlpatterns  # noqa: E402
from t3site.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": URLRouter([*auth_api_urlpatterns, re_path(r"", django_asgi_app)]),
        "websocket": URLRouter(websocket_urlpatterns),
    }
)
