"""Filing, co-approving and deciding residents' change requests; an approved change is applied by the registry's
own services (each with its audit row), in the same transaction as the decision.

States: a request about another member, asked by someone who is not the head, waits for the head
(`awaiting_head`); then for the village (`pending`). A cadre approves it (all of it, or some of its parts) or
rejects it with a reason. When the record it is about changed since it was filed, approving it is refused and the
request becomes a `conflict`: it is never silently applied over the newer record. The cadre sees what is on record
now beside what was asked (`on_record_now`) and rejects it, or applies it over the current record by confirming
so explicitly (`over_current=True`, audited `livedata.request.approve_over` with what was on record).

A move within the town (镇内转户) names no household when filed — the resident never sees another household — the
reviewing cadre chooses it among the households in their own area (`selectors.transfer_targets`), and approval
moves the member with `registry.resident_move`.
"""

import datetime
import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xiangzhi.core.audit import audit_record, snapshot
from xiangzhi.core.crypto import blind_index
from xiangzhi.core.exceptions import NotInScope
from xiangzhi.core.files import photo_clean, written_or_removed
from xiangzhi.core.masking import has_personal_number, mask_id_number, mask_phone
from xiangzhi.core.permissions import can
from xiangzhi.core.scoping import require
from xiangzhi.messaging.services import in_app_send, sms_send
from xiangzhi.registry import permissions as registry_perms
from xiangzhi.registry import services as registry
from xiangzhi.registry.choices import (
    HouseholdStatus,
    MembershipEnd,
    MembershipStart,
    PhoneHolder,
    Relationship,
    ResidenceStatus,
    Sex,
)
from xiangzhi.registry.idnumber import normalize_phone, parse_id_number
from xiangzhi.registry.models import ContactPhone, Household, Resident
from xiangzhi.registry.services.partial import (
    resident_identity_correct,
    resident_own_phone_set,
    resident_residence_set,
)

from . import permissions as perms
from . import texts
from .choices import DECIDED, HOUSEHOLD_KINDS, PHOTO_KINDS, Kind, Residence, State
from .models import ChangeRequest

MARRIAGE_RELATIONSHIPS = (Relationship.SPOUSE, Relationship.DAUGHTER_IN_LAW, Relationship.SON_IN_LAW)
NEWBORN_RELATIONSHIPS = (
    Relationship.SON,
    Relationship.DAUGHTER,
    Relationship.GRANDSON,
    Relationship.GRANDDAUGHTER,
    Relationship.OTHER,
)
# the parts of a request a cadre may approve one by one
PARTS = {
    Kind.PHONE: ("phone",),
    Kind.ADDRESS: ("address", "house_number"),
    Kind.MARRIAGE: ("marriage",),
    Kind.RESIDENCE: ("residence_status",),
    Kind.NEWBORN: ("newborn",),
    Kind.DEATH: ("death",),
    Kind.CORRECTION: ("name", "id_number"),
    Kind.TRANSFER: ("transfer",),
}
TRANSFER_RELATIONSHIPS = tuple(r for r in Relationship.values if r != Relationship.HEAD)
_CHECKED = "the service checked scope with require()"
_MOBILE_PREFIX = "1"


# --- what the record is now --------------------------------------------------------------------------------------


def _own_phone(resident: Resident) -> str:
    phone = (
        ContactPhone.objects.unrestricted("the record a request is about, reached through a checked resident")
        .filter(resident_id=resident.pk, holder=PhoneHolder.SELF)
        .order_by("priority", "id")
        .first()
    )
    return phone.number if phone else ""


def _current(kind: str, household: Household, resident: Resident | None) -> tuple[dict, dict]:
    """The part of the record a request of `kind` changes: raw (for the fingerprint) and as shown (masked)."""
    raw: dict
    shown: dict
    if resident is None:
        raw = {"status": household.status, "head": household.head_id}
        if kind == Kind.ADDRESS:
            shown = {"address": household.address, "house_number": household.house_number}
            return raw | shown, shown
        return raw, {}
    raw = {"household": resident.household_id, "residence_status": resident.residence_status}
    shown = {}
    if kind == Kind.PHONE:
        phone = _own_phone(resident)
        raw["phone"] = phone
        shown["phone"] = mask_phone(phone) if phone else ""
    elif kind in (Kind.RESIDENCE, Kind.DEATH):
        shown["residence_status"] = resident.residence_status
    elif kind == Kind.CORRECTION:
        raw |= {"name": resident.name, "id_number": resident.id_number or ""}
        shown |= {"name": resident.name, "id_number": mask_id_number(resident.id_number)}
    return raw, shown


def _basis(raw: dict) -> str:
    return blind_index("change-basis", json.dumps(raw, sort_keys=True, default=str))


def is_stale(request: ChangeRequest) -> bool:
    """Has the record the request is about changed since it was filed?"""
    resident = None
    if request.resident_id:
        resident = Resident.objects.unrestricted(_CHECKED).get(pk=request.resident_id)
    household = Household.objects.unrestricted(_CHECKED).get(pk=request.household_id)
    return _basis(_current(request.kind, household, resident)[0]) != request.basis


# --- what is asked -----------------------------------------------------------------------------------------------


def _text(data: dict, name: str, *, required: bool, max_length: int = 60) -> str:
    value = str(data.get(name) or "").strip()
    if required and not value:
        raise ValidationError({name: _("Please fill this in.")})
    if len(value) > max_length:
        raise ValidationError({name: _("Please keep this shorter.")})
    if has_personal_number(value):
        raise ValidationError({name: _("Put phone and ID numbers in their own fields, not in this text.")})
    return value


def _date(data: dict, name: str) -> datetime.date:
    value = data.get(name)
    if isinstance(value, str):
        try:
            value = datetime.date.fromisoformat(value)
        except ValueError:
            value = None
    if not isinstance(value, datetime.date):
        raise ValidationError({name: _("Enter the date, like 2024-05-01.")})
    if value > timezone.localdate():
        raise ValidationError({name: _("The date cannot be in the future.")})
    return value


def _phone(data: dict) -> str:
    try:
        number = normalize_phone(str(data.get("phone") or ""))
    except ValidationError:
        number = ""
    if len(number) != 11 or not number.startswith(_MOBILE_PREFIX):
        raise ValidationError({"phone": _("Enter an 11-digit mobile number.")})
    return number


def _photo(photo, preview: bool) -> None:
    if preview:
        return
    if not photo:
        raise ValidationError({"photo": _("Take a photo of the ID card or household booklet.")})
    photo_clean(photo)


def _id_number(data: dict, *, required: bool) -> str:
    raw = str(data.get("id_number") or "").strip()
    if not raw:
        if required:
            raise ValidationError({"id_number": _("Please fill this in.")})
        return ""
    try:
        return parse_id_number(raw).number
    except ValidationError as exc:
        raise ValidationError({"id_number": exc.error_list}) from None


def _clean(
    kind: str, data: dict, household: Household, resident: Resident | None, photo, *, preview: bool
) -> tuple[dict, dict]:
    """The request's payload (shown in clear) and its secrets (numbers, encrypted), or a ValidationError naming
    the field."""
    if kind == Kind.ADDRESS:
        asked = {
            "address": _text(data, "address", required=True, max_length=200),
            "house_number": _text(data, "house_number", required=False, max_length=32),
        }
        changed = {k: v for k, v in asked.items() if v and v != getattr(household, k)}
        if not changed:
            raise ValidationError({"address": _("This is already what the record says.")})
        return changed, {}
    if kind == Kind.MARRIAGE:
        name = _text(data, "name", required=True)
        if data.get("relationship") not in MARRIAGE_RELATIONSHIPS:
            raise ValidationError({"relationship": _("Choose how they are related to the head.")})
        number = _id_number(data, required=True)
        _photo(photo, preview)
        return {"name": name, "relationship": data["relationship"]}, {"id_number": number}
    if kind == Kind.PHONE:
        number = _phone(data)
        if resident is not None and number == _own_phone(resident):
            raise ValidationError({"phone": _("This is already the number on record.")})
        return {}, {"phone": number}
    if kind == Kind.RESIDENCE:
        status = data.get("residence_status")
        if status not in Residence.values:
            raise ValidationError({"residence_status": _("Choose where they live now.")})
        where = _text(data, "where", required=status == Residence.MIGRANT, max_length=100)
        if resident is not None and status == resident.residence_status and not where:
            raise ValidationError({"residence_status": _("This is already what the record says.")})
        return {"residence_status": status, "where": where}, {}
    if kind == Kind.NEWBORN:
        name = _text(data, "name", required=True)
        if data.get("sex") not in Sex.values:
            raise ValidationError({"sex": _("Choose boy or girl.")})
        born = _date(data, "birth_date")
        if born < timezone.localdate() - datetime.timedelta(days=3 * 366):
            raise ValidationError({"birth_date": _("A child older than three: ask your village cadre.")})
        if data.get("relationship") not in NEWBORN_RELATIONSHIPS:
            raise ValidationError({"relationship": _("Choose how the child is related to the head.")})
        return {
            "name": name,
            "sex": data["sex"],
            "birth_date": born.isoformat(),
            "relationship": data["relationship"],
        }, {}
    if kind == Kind.DEATH:
        died = _date(data, "died_on")
        return {"died_on": died.isoformat(), "note": _text(data, "note", required=False, max_length=200)}, {}
    if kind == Kind.TRANSFER:
        where = _text(data, "where", required=True, max_length=100)
        if data.get("relationship") not in TRANSFER_RELATIONSHIPS:
            raise ValidationError(
                {"relationship": _("Choose how they are related to that household's head.")}
            )
        return {"where": where, "relationship": data["relationship"]}, {}
    if kind == Kind.CORRECTION:
        assert resident is not None
        payload: dict = {}
        secrets: dict = {}
        name = _text(data, "name", required=False)
        if name and name != resident.name:
            payload["name"] = name
        number = _id_number(data, required=False)
        if number and number != resident.id_number:
            secrets["id_number"] = number
        if not payload and not secrets:
            raise ValidationError(_("Enter the right name or the right ID number."))
        _photo(photo, preview)
        return payload, secrets
    raise ValidationError(_("Choose what to change."))


def changes(request: ChangeRequest, *, show_ids: bool) -> list[dict]:
    """Before → after, part by part, as pages show them: numbers masked; ID numbers only for who may see them."""
    before, payload, secrets = request.before, request.payload, request.secrets
    rows = []
    if request.kind == Kind.PHONE:
        rows.append(("phone", _("Mobile number"), before.get("phone", ""), mask_phone(secrets.get("phone"))))
    elif request.kind == Kind.RESIDENCE:
        after = str(Residence(payload["residence_status"]).label)
        if payload.get("where"):
            after += _(" — %(where)s") % {"where": payload["where"]}
        rows.append(("residence_status", _("Where they live"), _status(before), after))
    elif request.kind == Kind.NEWBORN:
        text = " · ".join(
            [
                payload["name"],
                str(Sex(payload["sex"]).label),
                payload["birth_date"],
                str(Relationship(payload["relationship"]).label),
            ]
        )
        rows.append(("newborn", _("New member"), "", text))
    elif request.kind == Kind.ADDRESS:
        if "address" in payload:
            rows.append(("address", _("Address"), before.get("address", ""), payload["address"]))
        if "house_number" in payload:
            rows.append(
                ("house_number", _("House number"), before.get("house_number", ""), payload["house_number"])
            )
    elif request.kind == Kind.MARRIAGE:
        text = f"{payload['name']} · {Relationship(payload['relationship']).label}"
        rows.append(("marriage", _("New member"), "", text))
        if show_ids:
            rows.append(("id_number", _("ID number"), "", mask_id_number(secrets.get("id_number"))))
    elif request.kind == Kind.DEATH:
        after = _("Died on %(date)s") % {"date": payload["died_on"]}
        if payload.get("note"):
            after += f" ({payload['note']})"
        rows.append(("death", _("Deceased"), _status(before), after))
    elif request.kind == Kind.TRANSFER:
        after = _("Moved into: %(where)s (the head's %(relationship)s)") % {
            "where": payload["where"],
            "relationship": Relationship(payload["relationship"]).label,
        }
        rows.append(("transfer", _("Household"), _("this household"), after))
    elif request.kind == Kind.CORRECTION:
        if "name" in payload:
            rows.append(("name", _("Name"), before.get("name", ""), payload["name"]))
        if "id_number" in secrets and show_ids:
            rows.append(
                (
                    "id_number",
                    _("ID number"),
                    before.get("id_number", ""),
                    mask_id_number(secrets["id_number"]),
                )
            )
        elif "id_number" in secrets:
            rows.append(("id_number", _("ID number"), "", _("(a correction, shown to the village cadre)")))
    return [{"part": p, "label": label, "before": b, "after": a} for p, label, b, a in rows]


def _status(before: dict) -> str:
    value = before.get("residence_status")
    return str(ResidenceStatus(value).label) if value else ""


def _record(request: ChangeRequest) -> tuple[Household, Resident | None]:
    resident = None
    if request.resident_id:
        resident = Resident.objects.unrestricted(_CHECKED).get(pk=request.resident_id)
    return Household.objects.unrestricted(_CHECKED).get(pk=request.household_id), resident


def still_member(request: ChangeRequest) -> bool:
    """Does the member the request is about still live in its household (a household request: is it open)?"""
    household, resident = _record(request)
    if resident is None:
        return household.status == HouseholdStatus.ACTIVE
    return resident.household_id == household.pk and resident.is_active


def on_record_now(request: ChangeRequest, *, show_ids: bool) -> list[dict]:
    """For a request whose record changed: part by part, what the record said when it was sent, what it says now
    and what was asked (numbers masked), so the cadre decides knowing what an approval would replace."""
    household, resident = _record(request)
    now = ChangeRequest(
        kind=request.kind,
        payload=request.payload,
        secret=request.secret,
        before=_current(request.kind, household, resident)[1],
    )
    current = {row["part"]: row["before"] for row in changes(now, show_ids=show_ids)}
    return [
        {
            "label": row["label"],
            "sent": row["before"],
            "now": current.get(row["part"], ""),
            "asked": row["after"],
        }
        for row in changes(request, show_ids=show_ids)
    ]


def parts(request: ChangeRequest) -> list[str]:
    present = set(request.payload) | set(request.secrets)
    if request.kind in (Kind.CORRECTION, Kind.ADDRESS):
        return [p for p in PARTS[Kind(request.kind)] if p in present]
    return list(PARTS[Kind(request.kind)])


# --- writes -----------------------------------------------------------------------------------------------------


def _member(household: Household, resident: Resident | None) -> None:
    if resident is not None and (resident.household_id != household.pk or not resident.is_active):
        raise NotInScope  # not a member of this household (or not any more)


def _head_needed(household: Household, asked_by: Resident, resident: Resident | None) -> bool:
    """A request about another member (or a new one) needs the head's approval, unless the head asked."""
    if household.head_id is None or asked_by.pk == household.head_id:
        return False
    return resident is None or resident.pk != asked_by.pk


def change_request_build(
    *,
    actor,
    kind: str,
    household: Household,
    resident: Resident | None = None,
    asked_by: Resident | None = None,
    data: dict,
    photo=None,
    preview: bool = False,
) -> ChangeRequest:
    """Every check of a filing, and the request it would make (not saved): what the resident is shown before they
    send it. `preview` leaves out the photo, asked for on the page that confirms."""
    own = getattr(actor, "resident_account", None)
    proxy = own is None
    if own is None:
        require(actor, perms.FILE, household)
        if asked_by is None:
            raise ValidationError({"asked_by": _("Choose who asked for the change.")})
        _member(household, asked_by)
    else:
        require(actor, perms.FILE_OWN, household)
        asked_by = own.resident
        if asked_by.household_id != household.pk:
            raise NotInScope
    if household.status != HouseholdStatus.ACTIVE:
        raise ValidationError(_("This household is closed."))
    if kind not in Kind.values:
        raise ValidationError(_("Choose what to change."))
    if (kind in HOUSEHOLD_KINDS) != (resident is None):
        raise ValidationError({"resident": _("Choose who the change is about.")})
    _member(household, resident)
    if (
        proxy
        and (data.get("id_number") or kind == Kind.MARRIAGE)
        and not can(actor, registry_perms.REVEAL_ID)
    ):
        # who may not see ID numbers may not enter one either (grid workers)
        raise ValidationError({"id_number": _("Only a village cadre may enter an ID number.")})
    payload, secrets = _clean(kind, data, household, resident, photo, preview=preview)
    raw, shown = _current(kind, household, resident)
    return ChangeRequest(
        town_id=household.town_id,
        kind=kind,
        household=household,
        resident=resident,
        payload=payload,
        secret=json.dumps(secrets) if secrets else "",
        before=shown,
        basis=_basis(raw),
        state=State.AWAITING_HEAD if _head_needed(household, asked_by, resident) else State.PENDING,
        filed_by=actor,
        asked_by=asked_by,
        proxy=proxy,
    )


@transaction.atomic
def change_request_file(
    *,
    actor,
    kind: str,
    household: Household,
    resident: Resident | None = None,
    asked_by: Resident | None = None,
    data: dict,
    photo=None,
) -> ChangeRequest:
    """A resident asks for a change to their own household (`asked_by` is themself), or a grid worker or cadre
    files it for a resident without a phone (`asked_by` is that resident: who asked is recorded)."""
    Household.objects.unrestricted("serialise filings for one household").select_for_update().filter(
        pk=household.pk
    ).exists()
    request = change_request_build(
        actor=actor,
        kind=kind,
        household=household,
        resident=resident,
        asked_by=asked_by,
        data=data,
        photo=photo,
    )
    with written_or_removed(ChangeRequest.photo.field.storage) as written:
        if photo and kind in PHOTO_KINDS:
            # stored re-encoded: no EXIF (the phone's position) reaches the disk
            request.photo.save("photo.jpg", photo_clean(photo), save=False)
            written.append(request.photo.name)
        request.save()
        audit_record(actor=actor, action="livedata.request.file", target=request, after=snapshot(request))
        if request.state == State.AWAITING_HEAD:
            _tell_head(request)
    return request


def _tell_head(request: ChangeRequest) -> None:
    """In the app if the head has an account, and by text to their own phone either way: a head who has never
    signed in learns that a request waits for them (the text's number is the one they sign in with)."""
    head = Resident.objects.unrestricted("the head is told of a request about their household").get(
        pk=request.household.head_id
    )
    context = {"town": request.town.name, "name": request.asked_by.name, "kind": request.get_kind_display()}
    _tell(request, head, texts.AWAITING_HEAD, context, key=f"change:{request.pk}:head")


def _tell(request: ChangeRequest, resident: Resident, kind: str, context: dict, *, key: str) -> None:
    """An in-app message to the resident's account, if they have one, and a text to their own phone, each sent
    once whatever the retries (keyed)."""
    account = getattr(resident, "account", None)
    if account is not None:
        in_app_send(recipient=account.user, kind=kind, context=context, key=key)
    if resident.is_active and (phone := _own_phone(resident)):
        sms_send(
            town=request.town,
            phone=phone,
            kind=kind,
            context=context,
            recipient_name=resident.name,
            key=f"{key}-sms",
        )


def _head_of(actor, request: ChangeRequest) -> None:
    require(actor, perms.FILE_OWN, request)
    account = getattr(actor, "resident_account", None)
    if account is None or request.household.head_id != account.resident_id:
        raise NotInScope


@transaction.atomic
def change_request_head_decide(*, actor, request: ChangeRequest, agree: bool) -> ChangeRequest:
    """The household head agrees to a request about another member (it goes to the village), or does not (it ends,
    not approved, and whoever asked is told)."""
    _head_of(actor, request)
    request = ChangeRequest.objects.unrestricted(_CHECKED).select_for_update().get(pk=request.pk)
    if request.state != State.AWAITING_HEAD:
        raise ValidationError(_("This request is no longer waiting for you."))
    before = snapshot(request)
    now = timezone.now()
    if agree:
        request.state, request.head_approved_by, request.head_approved_at = State.PENDING, actor, now
    else:
        request.state, request.decided_by, request.decided_at = State.REJECTED, actor, now
        request.reason = _("The household head did not agree.")
    request.save()
    audit_record(
        actor=actor,
        action="livedata.request.head_approve" if agree else "livedata.request.head_decline",
        target=request,
        before=before,
        after=snapshot(request),
    )
    if not agree:
        _tell_outcome(request)
    return request


def _apply(actor, request: ChangeRequest, approved: list[str], relationship: str = "") -> None:
    """Apply the approved parts through the registry's own services (each writes its audit row)."""
    payload, secrets = request.payload, request.secrets
    if request.kind in (Kind.NEWBORN, Kind.MARRIAGE):
        identity: dict = (
            {
                "sex": payload["sex"],
                "birth_date": datetime.date.fromisoformat(payload["birth_date"]),
                "no_id_reason": _("Newborn, not yet registered for an ID number"),
            }
            if request.kind == Kind.NEWBORN
            else {"id_number": secrets["id_number"]}  # sex and birth date from the number
        )
        registry.resident_add(
            actor=actor,
            household=request.household,
            relationship=payload["relationship"],
            name=payload["name"],
            # a birth and a marriage are counted apart in the population changes (人口变动)
            start_reason=MembershipStart.BIRTH if request.kind == Kind.NEWBORN else MembershipStart.MARRIAGE,
            **identity,
        )
        return
    if request.kind == Kind.ADDRESS:
        registry.household_update(
            actor=actor, household=request.household, **{part: payload[part] for part in approved}
        )
        return
    resident = request.resident
    assert resident is not None  # every other kind is about a member
    if request.kind == Kind.PHONE:
        resident_own_phone_set(actor=actor, resident=resident, number=secrets["phone"])
    elif request.kind == Kind.RESIDENCE:
        status = payload["residence_status"]
        if status == Residence.MOVED_OUT:
            registry.membership_end(
                actor=actor, resident=resident, reason=MembershipEnd.MOVED_OUT, note=payload.get("where", "")
            )
        else:
            note = _("Working away: %(where)s") % {"where": payload["where"]} if payload.get("where") else ""
            resident_residence_set(actor=actor, resident=resident, residence_status=status, note=note)
    elif request.kind == Kind.TRANSFER:
        assert request.target_household is not None
        registry.resident_move(
            actor=actor, resident=resident, household=request.target_household, relationship=relationship
        )
    elif request.kind == Kind.DEATH:
        note = _("Died on %(date)s") % {"date": payload["died_on"]}
        if payload.get("note"):
            note += f" ({payload['note']})"
        registry.membership_end(actor=actor, resident=resident, reason=MembershipEnd.DECEASED, note=note)
    elif request.kind == Kind.CORRECTION:
        resident_identity_correct(
            actor=actor,
            resident=resident,
            name=payload["name"] if "name" in approved else None,
            id_number=secrets["id_number"] if "id_number" in approved else None,
        )


def _locked_for_decision(actor, request: ChangeRequest) -> ChangeRequest:
    require(actor, perms.REVIEW, request)
    return (
        ChangeRequest.objects.unrestricted(_CHECKED)
        .select_for_update(of=("self",))  # PostgreSQL locks no nullable side of a join (the resident)
        .select_related("household", "resident", "asked_by", "town")
        .get(pk=request.pk)
    )


def _transfer_target(actor, request: ChangeRequest, target: Household | None, relationship: str | None):
    """The household a member moved into, chosen by the cadre among the open households of their own area."""
    if target is None:
        raise ValidationError({"target": _("Choose the household they moved into.")})
    found = (
        Household.objects.restrict(actor, perms.REVIEW)
        .filter(pk=target.pk, status=HouseholdStatus.ACTIVE)
        .first()
    )
    if found is None:
        raise ValidationError({"target": _("Choose an open household in your area.")})
    if found.pk == request.household_id:
        raise ValidationError(
            {"target": _("They already live in this household: choose the one they moved into.")}
        )
    relationship = relationship or request.payload.get("relationship", "")
    if relationship not in Relationship.values:
        raise ValidationError({"relationship": _("Choose how they are related to that household's head.")})
    return found, relationship


@transaction.atomic
def change_request_approve(
    *,
    actor,
    request: ChangeRequest,
    approved: list[str] | None = None,
    target: Household | None = None,
    relationship: str | None = None,
    over_current: bool = False,
) -> ChangeRequest:
    """Approve the request, or only the parts in `approved` (the others are rejected, `reason` says why). A move
    within the town needs the `target` household (and the member's `relationship` to its head, by default what
    the resident said). A request whose record changed since it was filed is not applied — it becomes a
    conflict — unless the cadre confirms applying it over what is on record now (`over_current`)."""
    request = _locked_for_decision(actor, request)
    if request.state not in (State.PENDING, State.CONFLICT):
        raise ValidationError(_("Only a request waiting for the village can be approved."))
    if request.state == State.CONFLICT and not over_current:
        raise ValidationError(
            {"over_current": _("The record changed since this request was sent: confirm to apply it anyway.")}
        )
    every = parts(request)
    approved = every if approved is None else [p for p in every if p in approved]
    if not approved:
        raise ValidationError({"approved": _("Tick at least one part to approve, or reject the request.")})
    moved_into, relationship_chosen = None, ""
    if request.kind == Kind.TRANSFER:
        moved_into, relationship_chosen = _transfer_target(actor, request, target, relationship)
    before = snapshot(request)
    stale = request.state == State.CONFLICT or is_stale(request)
    if stale and not over_current:
        request.state = State.CONFLICT
        request.save(update_fields=["state", "updated_at"])
        audit_record(
            actor=actor,
            action="livedata.request.conflict",
            target=request,
            before=before,
            after=snapshot(request),
        )
        return request
    on_record: list[dict] = []
    if stale:
        if not still_member(request):
            raise ValidationError(
                {"over_current": _("They no longer live in this household: reject the request instead.")}
            )
        on_record = [
            {"part": row["label"], "now": row["now"]} for row in on_record_now(request, show_ids=False)
        ]
    request.target_household = moved_into
    _apply(actor, request, approved, relationship_chosen)
    whole = approved == every
    request.state = State.APPROVED if whole else State.PARTLY
    request.approved_fields = approved
    request.over_current = stale
    request.decided_by, request.decided_at = actor, timezone.now()
    if not whole:
        request.reason = request.reason or _("Only part of the request could be approved.")
    request.save()
    after = {**snapshot(request), "fields": approved}
    if stale:
        action = "livedata.request.approve_over"
        after["on_record"] = "; ".join(f"{row['part']}: {row['now'] or '—'}" for row in on_record)
    else:
        action = "livedata.request.approve" if whole else "livedata.request.approve_part"
    audit_record(actor=actor, action=action, target=request, before=before, after=after)
    _tell_outcome(request)
    return request


@transaction.atomic
def change_request_reject(*, actor, request: ChangeRequest, reason: str) -> ChangeRequest:
    """Reject with a reason the resident reads (a request in conflict too)."""
    request = _locked_for_decision(actor, request)
    if request.state not in (State.PENDING, State.CONFLICT):
        raise ValidationError(_("This request is already decided."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why, so the resident understands.")})
    if has_personal_number(reason):
        raise ValidationError({"reason": _("Leave phone and ID numbers out of the reason.")})
    before = snapshot(request)
    request.state, request.reason = State.REJECTED, reason[:300]
    request.decided_by, request.decided_at = actor, timezone.now()
    request.save()
    audit_record(
        actor=actor, action="livedata.request.reject", target=request, before=before, after=snapshot(request)
    )
    _tell_outcome(request)
    return request


def _tell_outcome(request: ChangeRequest) -> None:
    """An in-app message to whoever asked (their account, if they have one) and a text to their own phone."""
    context = {
        "town": request.town.name,
        "kind": request.get_kind_display(),
        "outcome": request.get_state_display(),
    }
    _tell(request, request.asked_by, texts.DECIDED, context, key=f"change:{request.pk}")


def photos_due(now: datetime.datetime | None = None):
    now = now or timezone.now()
    return (
        ChangeRequest.objects.unrestricted("the clean-up job deletes old photos of every town")
        .filter(state__in=DECIDED, decided_at__lt=now - settings.XIANGZHI_CHANGE_PHOTO_RETENTION)
        .exclude(photo="")
    )


@transaction.atomic
def change_request_photo_delete(*, request_id: int) -> bool:
    """Delete the document photo of a decided request (the clean-up job); the request keeps its history."""
    request = ChangeRequest.objects.unrestricted("the clean-up job").select_for_update().get(pk=request_id)
    if not request.photo:
        return False
    name = request.photo.name
    request.photo = ""
    request.photo_deleted_at = timezone.now()
    request.save(update_fields=["photo", "photo_deleted_at", "updated_at"])
    audit_record(actor=None, action="livedata.request.photo_delete", target=request, town=request.town)
    transaction.on_commit(lambda: ChangeRequest.photo.field.storage.delete(name))
    return True
