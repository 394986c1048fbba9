"""The demo town's residents online: a few families of the first village have signed in, asked for changes that
wait for the head or the village, and have a notice to read. Made through the real services, as a family would."""

import datetime

from django.utils import timezone

from xiangzhi.areas.models import Village
from xiangzhi.livedata import services as livedata
from xiangzhi.livedata.choices import Kind, Residence
from xiangzhi.notices.services import notice_publish
from xiangzhi.registry.choices import PhoneHolder, Relationship
from xiangzhi.registry.models import ContactPhone, Membership, Resident

from .services import resident_signed_in


def _own_phones(village) -> dict[int, ContactPhone]:
    """The living residents of `village` with a phone of their own (the first 600, by household), by resident."""
    phones = (
        ContactPhone.objects.unrestricted("the demo: residents of its first village who can sign in")
        .filter(
            Resident.living_here("resident__"), resident__household__village=village, holder=PhoneHolder.SELF
        )
        .select_related("resident__household")
        .order_by("resident__household__number", "priority", "pk")[:600]
    )
    found: dict[int, ContactPhone] = {}
    for phone in phones:
        found.setdefault(phone.resident_id, phone)
    return found


def demo_residents(*, town, admin, rng) -> list[str]:
    village = (
        Village.objects.unrestricted("the demo's first village").filter(town=town).order_by("code").first()
    )
    if village is None:
        return []
    phones = _own_phones(village)
    members = (
        Membership.objects.unrestricted("the demo: who lives with whom")
        .filter(resident_id__in=phones, ended_at__isnull=True, resident__household__head_id__isnull=False)
        .select_related("resident__household")
    )
    heads = {m.resident.household_id: m for m in members if m.relationship == Relationship.HEAD}
    spouse = next(
        (m for m in members if m.relationship == Relationship.SPOUSE and m.resident.household_id in heads),
        None,
    )
    if spouse is None or len(heads) < 3:
        return []
    household = spouse.resident.household
    head = heads[household.pk]
    others = [m for pk, m in heads.items() if pk != household.pk][:2]

    signed_in = {m.resident.pk: resident_signed_in(resident=m.resident) for m in (spouse, head, *others)}
    wife = signed_in[spouse.resident.pk]
    # about herself, straight to the village; a newborn needs the head's yes first
    livedata.change_request_file(
        actor=wife,
        kind=Kind.PHONE,
        household=household,
        resident=spouse.resident,
        data={"phone": f"139{rng.randrange(10**8):08d}"},
    )
    livedata.change_request_file(
        actor=wife,
        kind=Kind.NEWBORN,
        household=household,
        data={
            "name": head.resident.name[:1] + "小雨",
            "sex": "F",
            "birth_date": timezone.localdate() - datetime.timedelta(days=12),
            "relationship": Relationship.DAUGHTER,
        },
    )
    # heads asking about their own household: to the village
    first, second = others
    away = (
        Resident.objects.unrestricted("the demo: a member who went to work away")
        .filter(household=first.resident.household, residence_status=Residence.AT_HOME)
        .exclude(pk=first.resident.pk)
        .order_by("pk")
        .first()
    )
    if away is not None:
        livedata.change_request_file(
            actor=signed_in[first.resident.pk],
            kind=Kind.RESIDENCE,
            household=first.resident.household,
            resident=away,
            data={"residence_status": Residence.MIGRANT, "where": "广东省深圳市"},
        )
    livedata.change_request_file(
        actor=signed_in[second.resident.pk],
        kind=Kind.ADDRESS,
        household=second.resident.household,
        data={"address": f"{village.name}新村安置点{rng.randint(1, 40)}栋", "house_number": ""},
    )
    notice_publish(
        actor=admin,
        title="冬季用火用电安全提醒",
        body="天气转冷，请勿私拉电线、在室内用炭火取暖；家中有独居老人的，请亲友多打电话关心。村委会",
        village=village,
    )
    return [
        f"  {phones[m.resident.pk].number}  {m.resident.name} ({m.get_relationship_display()}, "
        f"{m.resident.household.number})"
        for m in (spouse, head, *others)
    ]
