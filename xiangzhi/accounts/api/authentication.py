"""Token login for scripts and apps, held to the same first-login rule as the pages: the middleware cannot see a
token user (DRF authenticates inside the view), so the token check refuses an account that must change its
password first."""

from rest_framework import authentication, exceptions

from ..middleware import password_change_required_body


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if user.must_change_password:
            raise exceptions.PermissionDenied(password_change_required_body())
        return user, token
