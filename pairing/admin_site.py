"""An admin site whose door is a device session with the admin scope, not a password."""

from __future__ import annotations

from functools import wraps

from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.shortcuts import render

from pairing.auth import SESSION_COOKIE
from pairing.scopes import ADMIN


class OwnerAdminSite(admin.AdminSite):
    site_header = "t3site administration"
    site_title = "t3site admin"
    index_title = "Pairing links and device sessions"
    # Three short lists need no sidebar; without it a device list fits a 1280 px screen.
    enable_nav_sidebar = False

    def hide_accounts(self) -> None:
        """Unregister Django's Users and Groups, which django.contrib.auth registers by itself.

        t3site has no passwords and one built-in owner user (pairing.owner) that only the change
        log names: listing it offered "Delete selected users" on the account the admin acts as.
        Who gets in is managed as pairing links and device sessions.
        """
        for model in (User, Group):
            if self.is_registered(model):
                self.unregister(model)

    def admin_view(self, view, cacheable=False):
        """Wrap every admin page so that it is sent with ``Referrer-Policy: same-origin``.

        Elsewhere it is ``no-referrer``, under which a browser sends ``Origin: null`` with a form's
        POST: Django's CSRF check (and the session cookie's own Origin check) would refuse every
        admin form. Admin addresses name no backend or token, and nothing goes to another origin.
        """
        wrapped = super().admin_view(view, cacheable)

        @wraps(wrapped)
        def same_origin_referrer(request, *args, **kwargs):
            response = wrapped(request, *args, **kwargs)
            response["Referrer-Policy"] = "same-origin"
            return response

        return same_origin_referrer

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
