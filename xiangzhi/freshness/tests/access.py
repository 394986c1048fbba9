"""Freshness's part of the project-wide tests (`xiangzhi/tests/access.py`)."""

import datetime

from xiangzhi.freshness.services import campaign_start
from xiangzhi.tests.access import Access, Scan, holders, page, page_post_only

VIEW = holders("freshness.view")
RUN = holders("freshness.run_campaign")

TABLE: dict[str, Access] = {
    "freshness:dashboard": page(VIEW, form=True),
    "freshness:campaign": page(VIEW, pk="campaign"),
    "freshness:campaign_remind": page_post_only(RUN, (302, "/freshness/campaigns/"), pk="campaign"),
    "freshness:prompts": page(VIEW),
}


def in_scope(request) -> dict:
    admin = request.getfixturevalue("admin_user")
    village = request.getfixturevalue("village_a")
    request.getfixturevalue("household_a")
    today = datetime.date.today()
    return {
        "campaign": campaign_start(
            actor=admin,
            name="年度核查",
            village=village,
            starts_on=today,
            ends_on=today + datetime.timedelta(days=30),
        )
    }


def scanned_urls(objects) -> list[Scan]:
    return [
        Scan("/freshness/"),
        Scan(f"/freshness/campaigns/{objects['campaign'].pk}/"),
        Scan("/freshness/prompts/"),
    ]
