"""The demo town's residents online: accounts, requests waiting for the head and the village, a notice."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from xiangzhi.livedata.models import ChangeRequest
from xiangzhi.notices.models import Notice
from xiangzhi.portal.models import ResidentAccount
from xiangzhi.portal.tests.helpers import code_texted_to

pytestmark = pytest.mark.django_db


def test_the_demo_town_has_residents_with_requests_and_a_notice():
    out = StringIO()
    call_command("demo_town", residents=1200, seed=7, stdout=out)
    accounts = ResidentAccount.objects.unrestricted("test").select_related("resident__household")
    assert accounts.count() == 4
    assert {a.user.role_assignments[0].role for a in accounts} == {"resident"}
    states = sorted(ChangeRequest.objects.unrestricted("test").values_list("kind", "state"))
    assert states == [
        ("address", "pending"),
        ("newborn", "awaiting_head"),
        ("phone", "pending"),
        ("residence", "pending"),
    ]
    village = accounts[0].resident.household.village
    assert Notice.objects.unrestricted("test").get().village == village
    # the command prints the numbers to sign in with, and one of them works: the code is in the outbox
    # (the numbers are the indented lines under the heading; later demo steps print their own lines after it)
    lines = [
        line
        for line in out.getvalue().split("Residents who have signed in")[1].splitlines()[1:]
        if line.startswith("  ")
    ]
    assert len(lines) == 4
    phone, name = lines[1].split()[:2]
    client = Client()
    client.post("/r/", {"phone": phone})
    assert client.post("/r/code/", {"code": code_texted_to(phone)})["Location"] == "/r/home/"
    home = client.get("/r/home/").content.decode()
    assert name in home and "1 项申请需要您同意" in home  # the head: the newborn waits for him
    assert client.get("/r/notices/").content.decode().count("冬季用火用电安全提醒") == 1
