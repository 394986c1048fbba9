"""The current account, and token login (lockout applies: axes sees every authenticate call)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import parsers, serializers, status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.response import Response
from rest_framework.views import APIView

from xiangzhi.core.api.parsers import JSONParser
from xiangzhi.core.api.schema import ErrorSerializer
from xiangzhi.core.permissions import allowed_actions

from .. import services


class RoleScopeSerializer(serializers.Serializer):
    role = serializers.CharField()
    village = serializers.IntegerField(source="village_id", allow_null=True)
    groups = serializers.SerializerMethodField()

    def get_groups(self, assignment) -> list[int]:
        return sorted(assignment.group_ids)


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    display_name = serializers.CharField()
    town = serializers.IntegerField(source="town_id", allow_null=True)
    roles = RoleScopeSerializer(many=True, source="role_assignments")
    can = serializers.SerializerMethodField()

    def get_can(self, user) -> list[str]:
        return allowed_actions(user)


class MeView(APIView):
    @extend_schema(
        responses=MeSerializer,
        summary=gettext_lazy("Your account"),
        description=gettext_lazy(
            "Your account: your name, your roles with the part of the town each covers, and what you may do."
        ),
    )
    def get(self, request):
        return Response(MeSerializer(request.user).data)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class TokenView(ObtainAuthToken):
    # ObtainAuthToken names its own parsers; ours turns a body nested too deeply into a 400
    parser_classes = (JSONParser, parsers.FormParser, parsers.MultiPartParser)

    @extend_schema(
        request=AuthTokenSerializer,
        responses={
            200: TokenSerializer,
            429: OpenApiResponse(ErrorSerializer, description="The account is locked after failed logins."),
        },
        auth=[],
        summary=gettext_lazy("Sign in for a token"),
        description=gettext_lazy(
            "Exchanges a username and password for a token, to send as `Authorization: Token …` with every "
            "call. The token ends after 30 days, with a password change or when the account is closed; failed "
            "sign-ins count towards locking the account, as on the login page."
        ),
    )
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        try:
            serializer.is_valid(raise_exception=True)
        except serializers.ValidationError:
            username = request.data.get("username") if hasattr(request.data, "get") else None
            if isinstance(username, str):
                services.login_failure_recorded(
                    username=username[:150], via="api", locked=getattr(request, "axes_locked_out", False)
                )
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
        user = serializer.validated_data["user"]
        token = services.token_issue(user=user)
        services.login_recorded(user=user, via="api")
        return Response({"token": token.key})
