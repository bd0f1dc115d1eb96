from django.urls import path

from endpoints import views

urlpatterns = [
    path(".well-known/t3/environment", views.environment_descriptor),
]
