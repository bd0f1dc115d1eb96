from django.urls import path

from environments import views

urlpatterns = [
    path("pair", views.pair_page, name="pair"),
    path("environments", views.environments_page, name="environments"),
    path("api/environments", views.environment_list),
    # Before the <key> route, which would otherwise take "ssh" for an environment's id.
    path("api/environments/ssh", views.environment_ssh),
    path("api/environments/<str:key>", views.environment_detail),
]
