"""WebSocket routes."""

from django.urls import path

from relay.consumers import RelayConsumer
from workspace.consumers import WorkspaceConsumer

websocket_urlpatterns = [
    path("ws", WorkspaceConsumer.as_asgi()),
    # A saved environment's /ws, carried by this server (docs/contract.md §8).
    path("via/<str:environment_id>/ws", RelayConsumer.as_asgi()),
]
