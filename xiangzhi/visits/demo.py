"""The demo town's visits: the town's policies, and most flagged households visited recently — some overdue."""

import datetime

from django.utils import timezone

from xiangzhi.registry.models import FlagType, ResidentFlag

from .models import Visit, VisitPolicy

POLICIES = {"elderly_alone": 30, "tekun": 30, "left_behind_child": 60, "relapse_watch": 90}
NOTES = [
    "身体状况良好，生活能自理。",
    "家中无异常，已提醒注意用电安全。",
    "反映屋顶漏雨，已转村委。",
    "子女每周来电，情况稳定。",
]


def demo_visits(*, town, admin, rng) -> None:
    flags = {f.code: f for f in FlagType.objects.unrestricted("the demo town's flags").filter(town=town)}
    VisitPolicy.objects.bulk_create(
        VisitPolicy(town=town, flag=flags[code], every_days=days)
        for code, days in POLICIES.items()
        if code in flags
    )
    household_ids = set(
        ResidentFlag.objects.unrestricted("the demo town's flagged residents")
        .filter(town=town, flag__code__in=POLICIES)
        .values_list("resident__household_id", flat=True)
    )
    today = timezone.localdate()
    visits = []
    for household_id in sorted(household_ids):
        if rng.random() < 0.12:
            continue  # never visited: shows on the overdue list
        days_ago = rng.randint(1, 75)
        visits.append(
            Visit(
                town=town,
                household_id=household_id,
                visited_by=admin,
                visited_on=today - datetime.timedelta(days=days_ago),
                notes=rng.choice(NOTES),
            )
        )
    Visit.objects.bulk_create(visits)
