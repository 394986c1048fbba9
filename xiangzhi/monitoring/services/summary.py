"""The daily health summary to each point's responsible person, through the outbox: an in-app message to an
account, a text to a phone on record — once a day per recipient (the outbox key), however often the job runs."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiangzhi.core.crypto import blind_index
from xiangzhi.core.models import Town
from xiangzhi.messaging import services as messaging
from xiangzhi.messaging.texts import register_text

from .. import conf
from ..choices import PointStatus
from ..models import Point

SUMMARY = register_text(
    "monitoring.daily_summary",
    _("daily summary of monitoring points"),
    _(
        "[%(town)s] Monitoring points on %(day)s: %(total)d in your care, %(online)d online, %(offline)d "
        "offline%(offline_list)s, %(never_seen)d never seen."
    ),
)


@dataclass
class _Tally:
    total: int = 0
    online: int = 0
    offline: int = 0
    never_seen: int = 0
    offline_codes: list[str] = field(default_factory=list)

    def add(self, status: str, code: str) -> None:
        self.total += 1
        if status == PointStatus.ONLINE:
            self.online += 1
        elif status == PointStatus.OFFLINE:
            self.offline += 1
            self.offline_codes.append(code)
        else:
            self.never_seen += 1


def _context(town: Town, day: datetime.date, tally: _Tally) -> dict:
    codes = sorted(tally.offline_codes)
    shown = "、".join(codes[:5]) + ("…" if len(codes) > 5 else "")
    return {
        "town": town.name,
        "day": day.isoformat(),
        "total": tally.total,
        "online": tally.online,
        "offline": tally.offline,
        "offline_list": f" ({shown})" if shown else "",
        "never_seen": tally.never_seen,
    }


def daily_summaries_send(*, town: Town, now: datetime.datetime | None = None) -> int:
    """Send today's summary to every responsible person of `town`'s points (from the summary hour on). Returns
    how many messages the outbox holds for today (a second run the same day sends none again)."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    if local.hour < conf.summary_hour():
        return 0
    day = local.date()
    by_user: dict[int, _Tally] = defaultdict(_Tally)
    by_phone: dict[str, tuple[str, _Tally]] = {}
    rows = (
        Point.objects.unrestricted("the summary job reads the points of the town it reports on")
        .filter(town=town)
        .values_list("code", "status", "responsible_id", "responsible_name", "responsible_phone")
    )
    for code, status, user_id, name, phone in rows.iterator():
        if user_id:
            by_user[user_id].add(status, code)
        elif phone:
            by_phone.setdefault(phone, (name, _Tally()))[1].add(status, code)
    sent = 0
    users = (
        get_user_model()
        .objects.unrestricted("the responsible accounts of the town's points")
        .filter(pk__in=list(by_user), is_active=True, town=town)
    )
    for user in users:
        messaging.in_app_send(
            recipient=user,
            kind=SUMMARY,
            context=_context(town, day, by_user[user.pk]),
            key=f"monitoring.summary:{day}:u{user.pk}",
        )
        sent += 1
    for phone, (name, tally) in by_phone.items():
        messaging.sms_send(
            town=town,
            phone=phone,
            kind=SUMMARY,
            context=_context(town, day, tally),
            recipient_name=name,
            key=f"monitoring.summary:{day}:p{blind_index('monitoring.summary', phone)[:32]}",
        )
        sent += 1
    return sent
