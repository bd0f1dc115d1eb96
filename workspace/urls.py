from django.urls import path

from workspace import views

urlpatterns = [
    path("", views.app_page, name="app"),
]
