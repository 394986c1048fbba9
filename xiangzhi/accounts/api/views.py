"""The current account, and token login (lockout applies: axes sees every authenticate call)."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import roles


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    display_name = serializers.CharField()
    role = serializers.CharField()
    town = serializers.IntegerField(source="town_id")
    village = serializers.IntegerField(source="village_id")
    groups = serializers.ListField(child=serializers.IntegerField(), source="scope_group_ids")
    can = serializers.SerializerMethodField()

    def get_can(self, user) -> list[str]:
        return [a for a in roles.ACTIONS if roles.can(user, a)]


class MeView(APIView):
    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(request.user).data)


class TokenView(ObtainAuthToken):
    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except serializers.ValidationError:
            # Axes flags the request when the account is locked; say so (429, as the login page does) instead of
            # "wrong credentials" for a right password.
            if getattr(request, "axes_locked_out", False):
                return Response(
                    {
                        "detail": _(
                            "Too many failed logins for this account. It is locked for 30 minutes; ask your "
                            "town administrator if you need it sooner."
                        ),
                        "code": "locked_out",
                    },
                    status=status.HTTP_429_TOO_MANY_REQUESTS,
                )
            raise
