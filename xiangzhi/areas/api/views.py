"""Villages and groups over the API, scoped like the pages."""

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


class VillageViewSet(RestrictedReadOnlyViewSet):
    queryset = Village.objects.none()
    serializer_class = VillageSerializer
    permissions = {"*": perms.VIEW}


class VillageGroupViewSet(RestrictedReadOnlyViewSet):
    queryset = VillageGroup.objects.none()
    serializer_class = VillageGroupSerializer
    filterset_class = VillageGroupFilter
    permissions = {"*": perms.VIEW}

    def scoped(self, qs):
        return qs.order_by("village_id", "number")
