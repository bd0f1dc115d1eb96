"""WebSocket routes."""

from django.urls import path

from workspace.consumers import WorkspaceConsumer

websocket_urlpatterns = [
    path("ws", WorkspaceConsumer.as_asgi()),
]
