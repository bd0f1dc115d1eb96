from django.urls import path

from endpoints import views

urlpatterns = [
    path(".well-known/t3/environment", views.environment_descriptor),
    path("api/endpoints", views.endpoint_list),
    path("api/endpoints/default", views.default_endpoint),
    path("api/endpoints/tailscale-serve", views.tailscale_serve),
    path("api/endpoints/network-access", views.network_access_view),
    path("api/endpoints/qr", views.qr_code),
    path("settings/connections/", views.connections_page, name="connections"),
]
