from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("pairing.urls")),
    path("", include("endpoints.urls")),
    path("", include("environments.urls")),
    path("", include("workspace.urls")),
    path("", include("relay.urls")),
]

handler400 = "t3site.http.bad_request"
handler404 = "t3site.http.not_found"
handler500 = "t3site.http.server_error"
