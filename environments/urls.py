from django.urls import path

from environments import views

urlpatterns = [
    path("pair", views.pair_page, name="pair"),
]
