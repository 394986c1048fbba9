"""The demo town: plausible, valid, deterministic for a seed, and built once."""

from io import StringIO

import pytest
from django.core.management import call_command

from xiangzhi.accounts.models import User
from xiangzhi.registry.idnumber import parse_id_number
from xiangzhi.registry.models import ContactPhone, Household, Membership, Resident, ResidentFlag, Village
from xiangzhi.registry.search import search

pytestmark = pytest.mark.django_db


def build(residents=1200, seed=7):
    out = StringIO()
    call_command("demo_town", residents=residents, seed=seed, stdout=out)
    return out.getvalue()


def test_demo_town_shape_and_validity():
    output = build()
    assert "cadre1" in output and "xiangzhi-demo" in output
    assert Resident.objects.count() == 1200
    households = Household.objects.count()
    assert abs(households - round(1200 * 6975 / 26551)) <= 1
    assert Village.objects.count() == 15
    # every household has a head and every resident living here one current membership
    assert not Household.objects.filter(head__isnull=True).exists()
    living = Resident.objects.filter(Resident.living_here())
    assert Membership.objects.filter(ended_at__isnull=True).count() == living.count() < 1200
    assert not Membership.objects.filter(ended_at__isnull=True).exclude(resident__in=living).exists()
    for r in Resident.objects.exclude(id_number__isnull=True)[:300]:
        parsed = parse_id_number(r.id_number)
        assert (parsed.birth_date, parsed.sex) == (r.birth_date, r.sex)
    flags = set(ResidentFlag.objects.values_list("flag__code", flat=True))
    assert {"disabled", "elderly_alone", "party_member"} <= flags
    assert ContactPhone.objects.filter(holder="child").exists()  # elderly reached through a child


def test_the_demo_town_has_a_history():
    """Births, deaths, moves in and out and splits over the last months: the population changes and the cards
    show something, and each history row agrees with the resident it is about."""
    from xiangzhi.accounts.models import User
    from xiangzhi.registry.selectors import population_changes

    build(residents=3000)
    rows = population_changes(user=User.objects.get(username="admin"))
    totals = {key: sum(row[key] for row in rows) for key in rows[0] if key != "month"}
    assert all(n > 0 for n in totals.values()), totals
    assert totals["births"] > totals["split_households"]
    for m in (
        Membership.objects.filter(ended_at__isnull=False)
        .exclude(end_reason="split")
        .select_related("resident")
    ):
        assert m.resident.residence_status == {"deceased": "deceased", "moved_out": "moved_out"}[m.end_reason]
    for h in Household.objects.filter(split_from__isnull=False):
        assert h.split_from.group_id == h.group_id
        assert Membership.objects.filter(household=h.split_from, resident=h.head, end_reason="split").exists()


def test_demo_accounts_can_search_their_area():
    build(residents=600)
    cadre = User.objects.get(username="cadre1")
    name = Resident.objects.filter(household__village_id=cadre.role_assignments[0].village_id).first().name
    assert any(h.resident and h.resident.name == name for h in search(cadre, name))
    assert len(User.objects.get(username="grid1").role_assignments[0].group_ids) == 2
    assert User.objects.get(username="admin").check_password("xiangzhi-demo")


def test_demo_town_is_built_once():
    build(residents=300)
    output = build(residents=300)
    assert "reusing" in output
    assert Resident.objects.count() == 300


def test_same_seed_same_town():
    build(residents=300, seed=11)
    first = list(Resident.objects.order_by("pk").values_list("name", "birth_date", "sex"))
    assert len(first) == 300
    from xiangzhi.registry.demo import Generator

    a, b = Generator(5, first[0][1]), Generator(5, first[0][1])
    assert [p.name for p in a.family(5)] == [p.name for p in b.family(5)]


def test_an_interrupted_first_run_leaves_nothing_and_the_next_run_builds_the_town(monkeypatch):
    from xiangzhi.registry.management.commands.demo_town import Command
    from xiangzhi.registry.models import Town

    def interrupted(self, town):
        raise KeyboardInterrupt  # Ctrl-C after the residents, before the accounts

    with monkeypatch.context() as m:
        m.setattr(Command, "create_accounts", interrupted)
        with pytest.raises(KeyboardInterrupt):
            build(residents=300)
    assert not Town.objects.exists() and not Resident.objects.exists()
    output = build(residents=300)
    assert "reusing" not in output and User.objects.filter(username="cadre1").exists()


def test_the_bulk_loader_writes_the_search_keys_the_services_build():
    """The demo town is loaded in bulk, around the services: its search keys must still be the ones the services
    would write for the same resident and household (search.build_*_tokens), or the demo and the benchmarks search
    data no real town has."""
    from collections import defaultdict

    from xiangzhi.registry.models import SearchToken
    from xiangzhi.registry.search import build_household_tokens, build_resident_tokens

    build(residents=300, seed=3)
    written = defaultdict(set)
    for household_id, resident_id, token in SearchToken.objects.values_list(
        "household_id", "resident_id", "token"
    ):
        written[(household_id, resident_id)].add(token)

    expected = defaultdict(set)
    residents = Resident.objects.select_related("household").prefetch_related("phones")
    for resident in residents:
        for t in build_resident_tokens(resident):
            expected[(t.household_id, t.resident_id)].add(t.token)
    for household in Household.objects.all():
        for t in build_household_tokens(household):
            expected[(t.household_id, t.resident_id)].add(t.token)
    assert len(expected) == 300 + Household.objects.count()
    assert ContactPhone.objects.exists() and Resident.objects.exclude(id_number__isnull=True).exists()
    assert written == expected
