"""The demo town's running annual check: the first village started one three weeks ago; some households have
confirmed since."""

import datetime

from django.utils import timezone

from xiangzhi.areas.models import Village
from xiangzhi.registry.models import Household

from .models import Campaign


def demo_campaign(*, town, admin, rng) -> None:
    village = (
        Village.objects.unrestricted("the demo town's first village")
        .filter(town=town)
        .order_by("code")
        .first()
    )
    if village is None:
        return
    today = timezone.localdate()
    starts = today - datetime.timedelta(days=21)
    Campaign.objects.create(
        town=town,
        name=f"{today.year}年度信息核查",
        village=village,
        starts_on=starts,
        ends_on=today + datetime.timedelta(days=40),
        created_by=admin,
    )
    households = list(
        Household.objects.unrestricted("the demo town's households")
        .filter(village=village)
        .values_list("pk", flat=True)
    )
    confirmed = [pk for pk in households if rng.random() < 0.45]
    for pk in confirmed:
        Household.objects.unrestricted("the demo's confirmations").filter(pk=pk).update(
            confirmed_at=timezone.now() - datetime.timedelta(days=rng.randint(0, 20), hours=rng.randint(0, 8))
        )
