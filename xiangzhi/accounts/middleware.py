"""Accounts created by an administrator must change their password before doing anything else."""

from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

_ALLOWED_PREFIXES = ("/accounts/password/", "/accounts/logout/", "/static/", "/i18n/")


def password_change_required_body() -> dict:
    """The API's answer, for a session here and for a token in accounts.api.authentication."""
    return {"detail": _("Change your password before you go on."), "code": "password_change_required"}


class PasswordChangeRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.must_change_password
            and not request.path.startswith(_ALLOWED_PREFIXES)
        ):
            if request.path.startswith("/api/"):
                from django.http import JsonResponse

                return JsonResponse(password_change_required_body(), status=403)
            return redirect(reverse("accounts:password_change"))
        return self.get_response(request)
