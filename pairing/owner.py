"""The one Django user that stands for the machine's owner in the admin."""

from __future__ import annotations

from django.contrib.auth import get_user_model

OWNER_USERNAME = "t3site-owner"


def owner_user():
    """Return the owner account, creating it (with no usable password) on first use.

    It exists so the admin's change log has someone to attribute actions to; it can
    never log in by password: only a device session with the admin scope acts as it.
    """
    User = get_user_model()
    user = User.objects.filter(username=OWNER_USERNAME).first()
    if user is None:
        user = User(username=OWNER_USERNAME, is_staff=True, is_superuser=True)
        user.set_unusable_password()
        user.save()
    return user
