"""Accounts created by an administrator must change their password before doing anything else."""

from django.shortcuts import redirect
from django.urls import reverse

_ALLOWED_PREFIXES = ("/accounts/password/", "/accounts/logout/", "/static/", "/i18n/")


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

                return JsonResponse(
                    {"detail": "password change required", "code": "password_change_required"}, status=403
                )
            return redirect(reverse("accounts:password_change"))
        return self.get_response(request)
