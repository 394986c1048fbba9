"""Registry API: the same selectors and services as the pages, behind restrict()."""

import contextlib

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.reverse import reverse

from xiangzhi.areas.filtersets import AreaFilter
from xiangzhi.areas.selectors import groups_for
from xiangzhi.core.api.base import RestrictedAPIView, RestrictedViewSetMixin
from xiangzhi.core.api.schema import ErrorSerializer

from .. import permissions as perms
from .. import search as search_module
from .. import selectors, services
from ..filtersets import HouseholdFilter, ResidentFilter
from ..idnumber import is_ascii_digits
from ..models import ContactPhone, Household, Resident, ResidentFlag
from . import serializers as s


def _pk(pk) -> int:
    """A router's <pk> is any URL segment; one that is no id is absent, like an id out of scope (404, not 500)."""
    if not is_ascii_digits(str(pk)):
        raise NotFound
    return int(pk)


@contextlib.contextmanager
def _duplicate_id_refused(request):
    """An ID number held by someone else: 400 naming the field, with the holder's household for who may view it."""
    try:
        yield
    except services.DuplicateIdNumber as exc:
        detail = {"id_number": exc.messages}
        household = selectors.duplicate_id_household(user=request.user, error=exc)
        if household is not None:
            detail["existing_household"] = reverse("household-detail", args=[household], request=request)
        raise ValidationError(detail) from None


def _phones_input(data):
    return [services.PhoneInput(**p) for p in data.get("phones", [])]


def _flags_input(data):
    return [services.FlagInput(flag=f["flag"], level=f.get("level")) for f in data.get("flags", [])]


_WRITES = ("create", "update", "members", "confirm", "change_head", "split", "merge", "end", "move")


@extend_schema_view(
    list=extend_schema(
        summary=_("List households"),
        description=_(
            "The households you may see, 50 to a page, with the filters of the household list: village, group, flag and more."
        ),
    ),
    create=extend_schema(
        summary=_("Register a household"),
        description=_(
            "Registers a new household in a village group you look after, with its head as first member."
        ),
    ),
    retrieve=extend_schema(
        summary=_("Household card"),
        description=_(
            "One household with its members, their masked ID and phone numbers, and the phones to call in order."
        ),
    ),
    members=extend_schema(
        summary=_("Add a member"),
        description=_(
            "Adds a person to the household: a newborn, a spouse who moved in, someone who came back."
        ),
    ),
    confirm=extend_schema(
        summary=_("Confirm the household is up to date"),
        description=_("Records that you checked the household's details today."),
    ),
    change_head=extend_schema(
        summary=_("Change the head of household"),
        description=_(
            "Makes another member the head and gives every member their relationship to the new head."
        ),
    ),
    split=extend_schema(
        summary=_("Split off a new household"),
        description=_(
            "Moves some members into a new household of the same group, with its own number and head."
        ),
    ),
    merge=extend_schema(
        summary=_("Merge into another household"),
        description=_("Moves every member of this household into another one and closes this one."),
    ),
)
class HouseholdViewSet(RestrictedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Household.objects.none()
    permissions = {"*": perms.VIEW} | dict.fromkeys(_WRITES, perms.CHANGE)
    serializer_class = s.HouseholdSerializer
    filterset_class = HouseholdFilter

    def scoped(self, qs):
        return qs.select_related("village", "group", "head").order_by("number")

    def _card(self, pk):
        return selectors.household_card(user=self.request.user, pk=_pk(pk))

    def _get(self, pk, action=perms.CHANGE):
        return selectors.household_get(user=self.request.user, pk=_pk(pk), action=action)

    @extend_schema(responses=s.HouseholdCardSerializer)
    def retrieve(self, request, pk=None):
        return Response(s.HouseholdCardSerializer(self._card(pk), context={"request": request}).data)

    @extend_schema(request=s.HouseholdCreateSerializer, responses=s.HouseholdSerializer)
    def create(self, request):
        data = s.HouseholdCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        household = services.household_create(actor=request.user, **data.validated_data)
        return Response(s.HouseholdSerializer(household).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ResidentAddSerializer, responses=s.ResidentSerializer)
    @action(detail=True, methods=["post"])
    def members(self, request, pk=None):
        household = self._get(pk)
        data = s.ResidentAddSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        phones, flags = _phones_input(v), _flags_input(v)
        v.pop("phones", None)
        v.pop("flags", None)
        with _duplicate_id_refused(request):
            resident = services.resident_add(
                actor=request.user, household=household, phones=phones, flags=flags, **v
            )
        return Response(s.ResidentSerializer(resident, context={"request": request}).data, status=201)

    @extend_schema(request=None, responses=s.HouseholdSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        household = services.household_confirm(actor=request.user, household=self._get(pk))
        return Response(s.HouseholdSerializer(household).data)

    @extend_schema(request=s.ChangeHeadSerializer, responses=s.HouseholdCardSerializer)
    @action(detail=True, methods=["post"], url_path="change-head")
    def change_head(self, request, pk=None):
        card = self._card(pk)
        data = s.ChangeHeadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        new_head = next(
            (m.resident for m in card.members if m.resident.pk == data.validated_data["new_head"]), None
        )
        if new_head is None:
            raise NotFound
        services.household_change_head(
            actor=request.user,
            household=card.household,
            new_head=new_head,
            relationships=data.validated_data["relationships"],
        )
        return Response(s.HouseholdCardSerializer(self._card(pk), context={"request": request}).data)

    @extend_schema(request=s.SplitSerializer, responses=s.HouseholdSerializer)
    @action(detail=True, methods=["post"])
    def split(self, request, pk=None):
        household = self._get(pk)
        data = s.SplitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        group_id = v.pop("group", None)
        group = groups_for(user=request.user).get(pk=group_id) if group_id else None
        new = services.household_split(actor=request.user, household=household, group=group, **v)
        return Response(s.HouseholdSerializer(new).data, status=201)

    @extend_schema(request=s.MergeSerializer, responses=s.HouseholdSerializer)
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        target = self._get(pk)
        data = s.MergeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        source = selectors.household_target(user=request.user, pk=data.validated_data["source"])
        services.household_merge(
            actor=request.user,
            source=source,
            target=target,
            relationships=data.validated_data["relationships"],
        )
        return Response(s.HouseholdSerializer(target).data)


@extend_schema_view(
    list=extend_schema(
        summary=_("List residents"),
        description=_(
            "The residents you may see, 50 to a page, filtered by village, group, flag, age, sex and residence status."
        ),
    ),
    retrieve=extend_schema(
        summary=_("One resident"),
        description=_("A resident's details, with ID and phone numbers masked."),
    ),
    update=extend_schema(
        summary=_("Edit a resident"),
        description=_(
            "Changes a resident's details, phones and flags; the audit log keeps what they were before."
        ),
    ),
    end=extend_schema(
        summary=_("Record a death or a move out of the town"),
        description=_(
            "Ends the resident's membership of the household, with the reason and the date; nothing is deleted."
        ),
    ),
    move=extend_schema(
        summary=_("Move to another household of the town"),
        description=_(
            "Moves the resident into another household of the town, with their relationship to its head."
        ),
    ),
    reveal_id=extend_schema(
        summary=_("Show the full ID number"),
        description=_("Answers one resident's full ID number. Every reveal is written to the audit log."),
    ),
)
class ResidentViewSet(RestrictedViewSetMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Resident.objects.none()
    serializer_class = s.ResidentSerializer
    filterset_class = ResidentFilter
    http_method_names = ["get", "put", "post", "head", "options"]
    permissions = {"*": perms.VIEW, "reveal_id": perms.REVEAL_ID} | dict.fromkeys(_WRITES, perms.CHANGE)

    def scoped(self, qs):
        return (
            qs.select_related("household")
            .prefetch_related(
                "phones",
                Prefetch(
                    "flags",
                    queryset=ResidentFlag.objects.unrestricted(
                        "flags of residents read through restrict()"
                    ).select_related("flag"),
                ),
            )
            .order_by("pk")
        )

    def _get(self, pk, action=perms.VIEW):
        return selectors.resident_get(user=self.request.user, pk=_pk(pk), action=action)

    @extend_schema(request=s.ResidentWriteSerializer, responses=s.ResidentSerializer)
    def update(self, request, pk=None, partial=False):
        resident = self._get(pk, perms.CHANGE)
        data = s.ResidentWriteSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        phones = _phones_input(v) if "phones" in v else None
        flags = _flags_input(v) if "flags" in v else None
        v.pop("phones", None)
        v.pop("flags", None)
        v.setdefault("birth_date", None)
        with _duplicate_id_refused(request):
            resident = services.resident_update(
                actor=request.user,
                resident=resident,
                phones=phones,
                flags=flags,
                **{**v, "id_number": v.get("id_number") or None},
            )
        return Response(s.ResidentSerializer(self._get(resident.pk), context={"request": request}).data)

    @extend_schema(request=s.MembershipEndSerializer, responses=s.ResidentSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        resident = self._get(pk, perms.CHANGE)
        data = s.MembershipEndSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.membership_end(actor=request.user, resident=resident, **data.validated_data)
        return Response(s.ResidentSerializer(self._get(pk), context={"request": request}).data)

    @extend_schema(request=s.MoveSerializer, responses=s.ResidentSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        resident = self._get(pk, perms.CHANGE)
        data = s.MoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        household = selectors.household_target(user=request.user, pk=data.validated_data["household"])
        services.resident_move(
            actor=request.user,
            resident=resident,
            household=household,
            relationship=data.validated_data["relationship"],
        )
        return Response(s.ResidentSerializer(self._get(pk), context={"request": request}).data)

    @extend_schema(request=None, responses=s.RevealSerializer)
    # idempotent=False: never keep the answer for an Idempotency-Key replay, it would store the full ID number in
    # plain text (core_idempotencyrecord.body). A retried reveal is simply a new reveal, logged again.
    @action(detail=True, methods=["post"], url_path="reveal-id", idempotent=False)
    def reveal_id(self, request, pk=None):
        resident = self._get(pk, perms.REVEAL_ID)
        return Response({"value": services.resident_reveal_id(actor=request.user, resident=resident)})


@extend_schema_view(
    post=extend_schema(
        summary=_("Show a full phone number"),
        description=_(
            "Answers one full phone number, written to the audit log; with `call=true` it is logged as a call "
            "(the number handed to the dialer)."
        ),
    )
)
class PhoneRevealView(RestrictedAPIView):
    permissions = {"POST": perms.REVEAL_PHONE}
    idempotent = False  # never keep a full number for a replay; a retried reveal is a new one, logged again

    @extend_schema(
        request=None,
        parameters=[
            OpenApiParameter("call", bool, description="the number goes to the dialer (logged as a call)")
        ],
        responses=s.RevealSerializer,
    )
    def post(self, request, pk):
        phone = (
            ContactPhone.objects.restrict(request.user, perms.REVEAL_PHONE)
            .select_related("resident")
            .get(pk=pk)
        )
        purpose = "call" if request.query_params.get("call") else "show"
        return Response({"value": services.phone_reveal(actor=request.user, phone=phone, purpose=purpose)})


class PhoneCallView(RestrictedAPIView):
    """Record what a call to a phone got; the same service as the card's outcome buttons."""

    permissions = {"POST": perms.REVEAL_PHONE}

    @extend_schema(
        request=s.CallRecordWriteSerializer,
        responses={201: s.CallRecordSerializer},
        summary=_("Record what a call got"),
        description=_(
            "After calling a number from the registry: reached, no answer, or a wrong number, with a note. The "
            "household card shows the last outcome beside the number."
        ),
    )
    def post(self, request, pk):
        phone = selectors.call_get_phone(user=request.user, pk=pk)
        data = s.CallRecordWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        record = services.call_record(actor=request.user, phone=phone, **data.validated_data)
        return Response(s.CallRecordSerializer(record).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(
        summary=_("Search households and residents"),
        description=_(
            "Finds people and households by name, pinyin or initials, the last four digits of a phone or ID "
            "number, a household number, house number or address — as the search page does."
        ),
    )
)
class SearchView(RestrictedAPIView):
    permissions = {"GET": perms.VIEW}

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "q",
                str,
                description="A name, its pinyin or initials, the last four digits of a phone or ID number or the whole "
                "number (audited, limited per hour), a household number or address; empty finds nothing.",
            )
        ],
        responses={
            200: s.SearchHitSerializer(many=True),
            429: OpenApiResponse(
                ErrorSerializer,
                description="Too many searches by a whole phone or ID number this hour (each is audited); "
                "`Retry-After` says in how many seconds the next one passes.",
            ),
        },
    )
    def get(self, request):
        try:
            hits = search_module.search(request.user, request.query_params.get("q", ""))
        except search_module.NumberSearchLimit as exc:
            return Response(
                {"detail": exc.message, "code": "number_search_limit"},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": str(exc.retry_after_seconds)},
            )
        return Response(s.SearchHitSerializer(hits, many=True).data)


@extend_schema_view(
    get=extend_schema(
        summary=_("Dashboard figures"),
        description=_(
            "The dashboard's figures for your part of the town, or one village or group of it: households, "
            "residents by residence status, by flag and by age band."
        ),
    )
)
class DashboardView(RestrictedAPIView):
    permissions = {"GET": perms.VIEW}

    @extend_schema(
        parameters=[OpenApiParameter("village", int), OpenApiParameter("group", int)],
        responses=s.DashboardSerializer,
    )
    def get(self, request):
        # as the dashboard page: a filter that names no village or group the user may view is a 404
        village, group = AreaFilter(request.query_params, request=request).area()
        stats = selectors.dashboard(user=request.user, village_id=village, group_id=group)
        stats["flags"] = [{"code": f.code, "name": f.name, "count": n} for f, n in stats["flags"]]
        stats["by_status"] = [{"status": str(label), "count": n} for label, n in stats["by_status"]]
        return Response(stats)
