"""The current account, and token login (lockout applies: axes sees every authenticate call)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
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
    pass
