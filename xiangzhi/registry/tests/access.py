"""The registry's part of the project-wide tests (`xiangzhi/tests/access.py`): its pages and API, the household,
resident, phone and flag its `<pk>` routes are filled with, what the privacy scan renders and the numbers it
must never find in full."""

import re

from django.urls import reverse

from xiangzhi.registry import services
from xiangzhi.registry.models import ContactPhone, FlagType, Resident
from xiangzhi.tests.access import (
    API_ANON,
    Access,
    Scan,
    api,
    everyone,
    holders,
    only,
    page,
    page_post_only,
)

VIEW = holders("registry.view")
CHANGE = holders("registry.change")
REVEAL_PHONE = holders("registry.reveal_phone")
REVEAL_ID = holders("registry.reveal_id")
CONFIGURE_FLAGS = holders("registry.configure")
PRINT_CARD = holders("registry.print_card")
CERTIFY = holders("registry.certify")

API = "/api/v1/registry"


def api_viewset_action(who, ok, *, pk) -> Access:
    """A POST-only action of a registry viewset: the viewset refuses a role without `view` before the method."""
    return Access(
        get=only(VIEW, 405, anonymous=API_ANON),
        post=only(who, ok, anonymous=API_ANON),
        pk=pk,
        json=True,
    )


TABLE: dict[str, Access] = {
    # pages
    "registry:home": page(VIEW),
    "registry:search": page(VIEW),
    "registry:households": page(VIEW),
    "registry:household_export": page(VIEW),
    "registry:residents": page(VIEW),
    "registry:resident_export": page(VIEW),
    "registry:ledger_export": page(VIEW, form=True),
    "registry:changes": page(VIEW),
    "registry:household_create": page(CHANGE, form=True),
    "registry:household": page(VIEW, pk="household"),
    "registry:household_edit": page(CHANGE, pk="household", form=True),
    "registry:household_confirm": page_post_only(CHANGE, (302, "/registry/households/"), pk="household"),
    "registry:household_change_head": page(CHANGE, pk="household", form=True),
    "registry:household_split": page(CHANGE, pk="household", form=True),
    "registry:household_merge": page(CHANGE, pk="household", form=True),
    "registry:resident_add": page(CHANGE, pk="household", form=True),
    "registry:resident_edit": page(CHANGE, pk="resident", form=True),
    "registry:resident_end": page(CHANGE, pk="resident", form=True),
    "registry:resident_move": page(CHANGE, pk="resident", form=True),
    "registry:household_card_pdf": page(PRINT_CARD, pk="household"),
    "registry:certificate_issue": page(CERTIFY, pk="resident", form=True),
    "registry:certificate_pdf": page(CERTIFY, pk="certificate"),
    "registry:reveal_id": page_post_only(REVEAL_ID, 200, pk="resident"),
    "registry:reveal_phone": page_post_only(REVEAL_PHONE, 200, pk="phone"),
    # an empty POST names no outcome: the form again, 400
    "registry:call_record": page_post_only(REVEAL_PHONE, 400, pk="phone"),
    "registry:warnings": page(VIEW),
    "registry:flags": page(CONFIGURE_FLAGS, form=True),
    "registry:flag_edit": page(CONFIGURE_FLAGS, pk="flag", form=True),
    # API
    "api-search": api(VIEW),
    "api-dashboard": api(VIEW),
    "api-phone-reveal": Access(
        get=everyone(405, anonymous=API_ANON),
        post=only(REVEAL_PHONE, 200, anonymous=API_ANON),
        pk="phone",
        json=True,
    ),
    "api-phone-calls": Access(
        get=everyone(405, anonymous=API_ANON),
        post=only(REVEAL_PHONE, 400, anonymous=API_ANON),
        pk="phone",
        json=True,
    ),
    "household-list": api(VIEW, post=only(CHANGE, 400, anonymous=API_ANON)),
    "household-detail": api(VIEW, pk="household"),
    "household-confirm": api_viewset_action(CHANGE, 200, pk="household"),
    "household-members": api_viewset_action(CHANGE, 400, pk="household"),
    "household-change-head": api_viewset_action(CHANGE, 400, pk="household"),
    "household-split": api_viewset_action(CHANGE, 400, pk="household"),
    "household-merge": api_viewset_action(CHANGE, 400, pk="household"),
    "resident-list": api(VIEW),
    "resident-detail": api(VIEW, pk="resident", put=only(CHANGE, 400, anonymous=API_ANON)),
    "resident-end": api_viewset_action(CHANGE, 400, pk="resident"),
    "resident-move": api_viewset_action(CHANGE, 400, pk="resident"),
    "resident-reveal-id": api_viewset_action(REVEAL_ID, 200, pk="resident"),
}


def in_scope(request) -> dict:
    """Household A-001 in village A group 1, its head and the head's phone, a flag of the town, a certificate of
    residence issued to the head."""
    household = request.getfixturevalue("household_a")
    head = household.head
    certificate = services.certificate_issue(
        actor=request.getfixturevalue("admin_user"), resident=head, purpose="办理子女入学"
    )
    return {
        "certificate": certificate,
        "flag": FlagType.objects.get(town=household.town, code="dibao"),
        "household": household,
        "resident": head,
        "phone": head.phones.get(),
    }


# Queries whose text is not itself a personal number: safe to send to the full search page, which echoes the
# query in its search box (the user's own input, not data from the registry).
PLAIN_QUERIES = [
    "张三",
    "张",
    "三",
    "王秀英",
    "zs",
    "zhang",
    "zhangsan",
    "wxy",
    "5678",
    "3333",
    "1111",
    "A-001",
    "玉峰",
    "12号",
]


def _number_queries(household) -> list[str]:
    """Full and partial personal numbers: sent to the htmx partial and the API, which do not echo the query."""
    head = household.head
    return [
        "13812345678",
        "15822223333",
        "12345678",
        head.id_number,
        head.id_number[-4:],
        head.id_number[-8:],
    ]


def scanned_urls(objects) -> list[Scan]:
    """Every registry page and API answer about household A-001 and each of its members, and searches."""
    household = objects["household"]
    urls = [
        reverse("registry:home"),
        reverse("registry:search"),
        reverse("registry:households"),
        reverse("registry:household_export"),
        reverse("registry:residents"),
        reverse("registry:resident_export"),
        reverse("registry:ledger_export"),
        f"{reverse('registry:residents')}?household={household.pk}",
        f"{reverse('registry:resident_export')}?household={household.pk}",
        reverse("registry:household_create"),
        reverse("registry:household", args=[household.pk]),
        reverse("registry:household_edit", args=[household.pk]),
        reverse("registry:household_change_head", args=[household.pk]),
        reverse("registry:household_split", args=[household.pk]),
        reverse("registry:household_merge", args=[household.pk]),
        reverse("registry:resident_add", args=[household.pk]),
        reverse("registry:warnings"),
        f"{reverse('registry:warnings')}?flag=disabled",
        f"{API}/dashboard/",
        f"{API}/households/",
        f"{API}/households/{household.pk}/",
        f"{API}/residents/",
        f"{API}/residents/?household={household.pk}",
    ]
    for r in household.residents.order_by("pk"):
        urls += [
            reverse("registry:resident_edit", args=[r.pk]),
            reverse("registry:resident_end", args=[r.pk]),
            reverse("registry:resident_move", args=[r.pk]),
            f"{API}/residents/{r.pk}/",
        ]
    scans = [Scan(url) for url in urls]
    search = reverse("registry:search")
    for q in PLAIN_QUERIES:
        scans.append(Scan(f"{search}?q={q}"))
    for q in PLAIN_QUERIES + _number_queries(household):
        scans.append(Scan(f"{search}?q={q}", label=f"{search}?q={q} (htmx)", htmx=True))
        scans.append(Scan(f"{API}/search/?q={q}"))
    return scans


MASKED_ID = re.compile(r"\d{6}\*{8}\d{3}[\dX]")
MASKED_MOBILE = re.compile(r"1[3-9]\d\*{4}\d{4}")


def check_scan(scanned: dict[str, str], *, role, client, objects) -> None:
    """The masked forms are what the card, the forms and the API show."""
    if role == "resident":
        return  # no registry page of theirs: the portal's own check reads their household page
    household = objects["household"]
    may_see_ids = role in ("cadre", "admin")
    card = scanned[reverse("registry:household", args=[household.pk])]
    detail = scanned[f"{API}/households/{household.pk}/"]
    residents = scanned[f"{API}/residents/?household={household.pk}"]
    roster = scanned[f"{reverse('registry:residents')}?household={household.pk}"]
    roster_export = scanned[f"{reverse('registry:resident_export')}?household={household.pk}"]
    for body in (roster, roster_export):
        assert "138****5678" in body and "13812345678" not in body
        assert bool(MASKED_ID.search(body)) is may_see_ids
        # the age beside the mask, never the birth date it hides
        assert "1970-03-05" not in body and "1970年3月5日" not in body and "19700305" not in body
    for body in (card, detail, residents):
        assert "138****5678" in body and "158****3333" in body
        assert len(MASKED_MOBILE.findall(body)) >= 4
        # ID numbers: masked for who may see them, absent (not even masked) for the others
        assert bool(MASKED_ID.search(body)) is may_see_ids
    # the search finds the resident by a full number without ever sending it back
    hits = client.get(f"{API}/search/", {"q": "13812345678"}).json()
    assert "张三" in {h["resident_name"] for h in hits}
    # the warning list of 残疾: the mother, her phone (her son's) masked
    warnings = scanned[f"{reverse('registry:warnings')}?flag=disabled"]
    assert "王秀英" in warnings and "158****3333" in warnings
    edit = scanned.get(reverse("registry:resident_edit", args=[household.head.pk]))
    if edit is not None:
        assert "138****5678" in edit


def personal_numbers() -> set[str]:
    """Every ID and phone number on record, read through the ORM (which decrypts)."""
    ids = {r.id_number for r in Resident.objects.filter(id_number__isnull=False)}
    phones = {p.number for p in ContactPhone.objects.all()}
    assert ids and phones
    # the ID without its check character too: 17 digits of it are as telling as 18
    return ids | {i[:17] for i in ids} | phones
