"""An admin site whose door is a device session with the admin scope, not a password."""

from __future__ import annotations

from django.contrib import admin
from django.shortcuts import render

from pairing.auth import SESSION_COOKIE
from pairing.scopes import ADMIN


class OwnerAdminSite(admin.AdminSite):
    site_header = "t3site administration"
    site_title = "t3site admin"
    index_title = "Pairing links and device sessions"

    def has_permission(self, request) -> bool:
        session = getattr(request, "device_session", None)
        return session is not None and session.has_scope(ADMIN)

    def login(self, request, extra_context=None):
        # There is no password to type: only a browser paired as owner gets in.
        return render(request, "admin/owner_only.html", status=403)

    def logout(self, request, extra_context=None):
        if request.method == "POST" and getattr(request, "device_session", None) is not None:
            request.device_session.revoke("logged out from the admin")
        response = render(request, "admin/owner_only.html", {"logged_out": True})
        response.delete_cookie(SESSION_COOKIE, samesite="Lax")
        return response
