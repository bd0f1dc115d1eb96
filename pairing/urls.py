from django.urls import path

from pairing import views

urlpatterns = [
    path("api/auth/pair", views.pair),
    path("api/auth/session", views.session_info),
    path("api/auth/ws-ticket", views.ws_ticket),
    path("api/auth/logout", views.logout),
    path("api/auth/pairing-links", views.pairing_links),
    path("api/auth/pairing-links/<str:link_id>", views.pairing_link),
    path("api/auth/sessions", views.sessions),
    path("api/auth/sessions/revoke-others", views.revoke_others),
    path("api/auth/sessions/<str:session_id>", views.session_detail),
]
