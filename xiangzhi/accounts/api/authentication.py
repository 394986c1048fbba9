"""Token login for scripts and apps, held to the same rules as the pages: the middleware cannot see a token user
(DRF authenticates inside the view), so the token check refuses an account that must change its password first;
and a token lives `XIANGZHI_TOKEN_MAX_AGE` from its issue, then the holder logs in again."""

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from xiangzhi.core.audit import audit_record

from ..middleware import password_change_required_body


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token.created < timezone.now() - settings.XIANGZHI_TOKEN_MAX_AGE:
            token.delete()
            raise exceptions.AuthenticationFailed(_("This token has expired; log in again for a new one."))
        if user.must_change_password:
            raise exceptions.PermissionDenied(password_change_required_body())
        # the audit log shows a token in use: its first request in each hour, not every request
        if cache.add(f"token-use:{token.pk}:{timezone.now():%Y%m%d%H}", 1, timeout=3600):
            audit_record(actor=user, action="accounts.token.use", target=user)
        return user, token
