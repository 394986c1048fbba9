"""Villages and groups over the API, scoped like the pages."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers

from xiangzhi.core.api.base import RestrictedReadOnlyViewSet

from .. import permissions as perms
from ..filtersets import VillageGroupFilter
from ..models import Village, VillageGroup


class VillageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Village
        fields = ["id", "name", "kind", "code"]


class VillageGroupSerializer(serializers.ModelSerializer):
    class Meta:
        model = VillageGroup
        fields = ["id", "village", "number", "name"]


@extend_schema_view(
    list=extend_schema(
        summary=_("List villages and communities"),
        description=_("The villages and communities you may see, with their 12-digit statistics codes."),
    ),
    retrieve=extend_schema(
        summary=_("One village or community"),
        description=_("A village or community: its name, kind and statistics code."),
    ),
)
class VillageViewSet(RestrictedReadOnlyViewSet):
    queryset = Village.objects.none()
    serializer_class = VillageSerializer
    permissions = {"*": perms.VIEW}


@extend_schema_view(
    list=extend_schema(
        summary=_("List village groups"),
        description=_("The village groups you may see, village by village; filter by village."),
    ),
    retrieve=extend_schema(
        summary=_("One village group"), description=_("A village group: its village, number and name.")
    ),
)
class VillageGroupViewSet(RestrictedReadOnlyViewSet):
    queryset = VillageGroup.objects.none()
    serializer_class = VillageGroupSerializer
    filterset_class = VillageGroupFilter
    permissions = {"*": perms.VIEW}

    def scoped(self, qs):
        return qs.order_by("village_id", "number")
