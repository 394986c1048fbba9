"""Registry API shapes. Personal numbers leave the server masked; full values only through reveal endpoints."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from xiangzhi.areas.models import VillageGroup
from xiangzhi.core.permissions import can

from .. import permissions as perms
from ..choices import (
    ADD_MEMBER_CHOICES,
    LIVING_RESIDENCE_CHOICES,
    MembershipEnd,
    PhoneHolder,
    Relationship,
    ResidenceStatus,
    Sex,
)
from ..models import ContactPhone, FlagType, Household, Resident, ResidentFlag


class FlagTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = FlagType
        fields = ["id", "code", "name", "emergency", "has_level"]


class PhoneSerializer(serializers.ModelSerializer):
    number = serializers.CharField(source="number_masked")

    class Meta:
        model = ContactPhone
        fields = ["id", "number", "holder", "holder_name", "priority", "note"]


class ResidentFlagSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="flag.code")
    name = serializers.CharField(source="flag.name")
    emergency = serializers.BooleanField(source="flag.emergency")

    class Meta:
        model = ResidentFlag
        fields = ["code", "name", "emergency", "level"]


class ResidentSerializer(serializers.ModelSerializer):
    id_number = serializers.SerializerMethodField()
    phones = PhoneSerializer(many=True, read_only=True)
    flags = ResidentFlagSerializer(many=True, read_only=True)
    age = serializers.IntegerField(read_only=True, allow_null=True)
    # only for a resident without an ID number (Resident.birth_date_shown): beside the masked number it would
    # complete it
    birth_date = serializers.DateField(source="birth_date_shown", read_only=True, allow_null=True)

    class Meta:
        model = Resident
        fields = [
            "id",
            "household",
            "name",
            "sex",
            "birth_date",
            "age",
            "id_status",
            "id_number",
            "no_id_reason",
            "residence_status",
            "notes",
            "phones",
            "flags",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_id_number(self, obj):
        # Shop clerks, duty officers and grid workers do not see ID numbers at all, not even masked.
        if not can(self.context["request"].user, perms.REVEAL_ID):
            return None
        return obj.id_number_masked


class MemberSerializer(serializers.Serializer):
    relationship = serializers.CharField()
    resident = ResidentSerializer()


class HouseholdSerializer(serializers.ModelSerializer):
    village_name = serializers.CharField(source="village.name", read_only=True)
    group_name = serializers.CharField(source="group.name", read_only=True)
    head_name = serializers.CharField(source="head.name", read_only=True, default=None, allow_null=True)

    class Meta:
        model = Household
        fields = [
            "id",
            "number",
            "village",
            "village_name",
            "group",
            "group_name",
            "address",
            "house_number",
            "latitude",
            "longitude",
            "head",
            "head_name",
            "status",
            "created_at",
            "updated_at",
            "confirmed_at",
        ]
        read_only_fields = ["village", "head", "status", "created_at", "updated_at", "confirmed_at"]


class HouseholdCardSerializer(serializers.Serializer):
    household = HouseholdSerializer()
    members = MemberSerializer(many=True)
    call_list = serializers.SerializerMethodField()

    @extend_schema_field(PhoneSerializer(many=True))
    def get_call_list(self, card):
        return [
            {**PhoneSerializer(phone).data, "resident": resident.pk, "resident_name": resident.name}
            for phone, resident in card.call_list
        ]


@extend_schema_field(serializers.IntegerField())
class GroupInScopeField(serializers.PrimaryKeyRelatedField):
    """A village group the user may change; one out of scope is as invalid as one that does not exist (400)."""

    def get_queryset(self):
        return VillageGroup.objects.restrict(self.context["request"].user, perms.CHANGE)


def _household_number():
    return serializers.CharField(
        max_length=32,
        required=False,
        default="",
        allow_blank=True,
        help_text="Empty: the group's next free number in the town's pattern (village code, group, sequence).",
    )


class HouseholdCreateSerializer(serializers.Serializer):
    group = GroupInScopeField()
    number = _household_number()
    address = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    house_number = serializers.CharField(max_length=32, required=False, default="", allow_blank=True)
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, required=False, allow_null=True, min_value=-90, max_value=90
    )
    longitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, required=False, allow_null=True, min_value=-180, max_value=180
    )


class PhoneInputSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=20)
    holder = serializers.ChoiceField(choices=PhoneHolder.choices, default=PhoneHolder.SELF)
    holder_name = serializers.CharField(max_length=60, required=False, default="", allow_blank=True)
    priority = serializers.IntegerField(min_value=1, max_value=9, default=1)
    note = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


@extend_schema_field(serializers.CharField())
class FlagInTownField(serializers.SlugRelatedField):
    """A flag of the user's town, named by its code."""

    def get_queryset(self):
        return FlagType.objects.restrict(self.context["request"].user, perms.VIEW)


class FlagInputSerializer(serializers.Serializer):
    code = FlagInTownField(slug_field="code", source="flag")
    level = serializers.IntegerField(min_value=1, max_value=4, required=False, allow_null=True)


class ResidentWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=60)
    sex = serializers.ChoiceField(choices=Sex.choices, required=False, allow_blank=True, default="")
    birth_date = serializers.DateField(required=False, allow_null=True)
    id_number = serializers.CharField(max_length=40, required=False, allow_null=True, allow_blank=True)
    no_id_reason = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    residence_status = serializers.ChoiceField(
        choices=LIVING_RESIDENCE_CHOICES, default=ResidenceStatus.AT_HOME
    )
    notes = serializers.CharField(required=False, default="", allow_blank=True, max_length=2000)
    phones = PhoneInputSerializer(many=True, required=False)
    flags = FlagInputSerializer(many=True, required=False)


class ResidentAddSerializer(ResidentWriteSerializer):
    relationship = serializers.ChoiceField(choices=Relationship.choices)
    start_reason = serializers.ChoiceField(
        choices=ADD_MEMBER_CHOICES,
        help_text="Why they join: born, married in, moved in from outside the town, or already living here.",
    )


class MembershipEndSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(
        choices=[MembershipEnd.DECEASED, MembershipEnd.MOVED_OUT, MembershipEnd.REMOVED]
    )
    note = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    date = serializers.DateField(
        required=False, help_text="The day of the death or move; today when not given."
    )


class MoveSerializer(serializers.Serializer):
    household = serializers.IntegerField()
    relationship = serializers.ChoiceField(choices=Relationship.choices)


class RelationshipMapField(serializers.DictField):
    child = serializers.ChoiceField(choices=Relationship.choices)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            return {int(k): v for k, v in value.items()}
        except ValueError:
            raise serializers.ValidationError("keys are resident ids") from None


class ChangeHeadSerializer(serializers.Serializer):
    new_head = serializers.IntegerField()
    relationships = RelationshipMapField()


class SplitSerializer(serializers.Serializer):
    members = RelationshipMapField()
    number = _household_number()
    group = serializers.IntegerField(required=False, allow_null=True)
    address = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    house_number = serializers.CharField(max_length=32, required=False, default="", allow_blank=True)


class MergeSerializer(serializers.Serializer):
    source = serializers.IntegerField()
    relationships = RelationshipMapField()


class SearchHitHouseholdSerializer(serializers.Serializer):
    """The household of a search hit: what tells two hits apart, read from the columns search loads."""

    id = serializers.IntegerField()
    number = serializers.CharField()
    village = serializers.IntegerField(source="village_id")
    village_name = serializers.CharField(source="village.name")
    group = serializers.IntegerField(source="group_id")
    group_name = serializers.CharField(source="group.name")
    address = serializers.CharField()
    house_number = serializers.CharField()
    status = serializers.CharField()


class SearchHitSerializer(serializers.Serializer):
    kind = serializers.CharField()
    score = serializers.IntegerField()
    household = SearchHitHouseholdSerializer()
    resident_id = serializers.IntegerField(source="resident.pk", default=None, allow_null=True)
    resident_name = serializers.CharField(source="resident.name", default=None, allow_null=True)
    resident_sex = serializers.CharField(source="resident.sex", default=None, allow_null=True)
    resident_age = serializers.IntegerField(source="resident.age", default=None, allow_null=True)
    head_name = serializers.CharField(allow_null=True, help_text="The name of the household's head.")
    relationship = serializers.CharField(
        source="resident.relationship",
        default=None,
        allow_null=True,
        help_text="The resident's relationship to the household's head.",
    )


class RevealSerializer(serializers.Serializer):
    value = serializers.CharField()


class DashboardCountSerializer(serializers.Serializer):
    status = serializers.CharField()
    count = serializers.IntegerField()


class DashboardBandSerializer(serializers.Serializer):
    band = serializers.CharField()
    M = serializers.IntegerField()
    F = serializers.IntegerField()
    M_pct = serializers.IntegerField(help_text="Share of the largest band, 0–100.")
    F_pct = serializers.IntegerField(help_text="Share of the largest band, 0–100.")


class DashboardFlagSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    count = serializers.IntegerField()


class DashboardSerializer(serializers.Serializer):
    """What `DashboardView` answers (documentation only: the view builds the dict itself)."""

    households = serializers.IntegerField()
    residents = serializers.IntegerField()
    by_status = DashboardCountSerializer(many=True)
    pyramid = DashboardBandSerializer(many=True)
    flags = DashboardFlagSerializer(many=True)
