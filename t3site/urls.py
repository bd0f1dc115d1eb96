from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("pairing.urls")),
    path("", include("endpoints.urls")),
    path("", include("environments.urls")),
    path("", include("workspace.urls")),
]
