from django.urls import path

from relay import views

urlpatterns = [
    path("via/<str:environment_id>/.well-known/t3/environment", views.descriptor),
    path("via/<str:environment_id>/api/auth/session", views.session),
]
