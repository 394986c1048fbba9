"""A resident sees their own phone number in full after typing a fresh code texted to it — never anyone else's."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from xiangzhi.core.models import AuditEntry
from xiangzhi.messaging.models import Message
from xiangzhi.portal import services
from xiangzhi.portal.models import SignInCode
from xiangzhi.portal.tests.helpers import code_texted_to

OWN, WIFE, SON = "13812345678", "13900001111", "15822223333"
REVEAL = "portal.reveal_code"


def _as(resident_name: str, household) -> tuple[Client, object]:
    resident = household.residents.unrestricted("test set-up").get(name=resident_name)
    user = services.resident_signed_in(resident=resident)
    client = Client()
    client.force_login(user)
    return client, user


def _reveal_codes() -> int:
    return Message.objects.unrestricted("test").filter(kind=REVEAL).count()


def test_the_head_sees_his_own_number_for_one_page_view(household_a):
    client, user = _as("张三", household_a)
    home = client.get("/r/home/").content.decode()
    assert "138****5678" in home and OWN not in home and "/r/phone/" in home

    assert client.post("/r/phone/")["Location"] == "/r/phone/code/"
    page = client.get("/r/phone/code/").content.decode()
    assert "138****5678" in page and OWN not in page
    shown = client.post("/r/phone/code/", {"code": code_texted_to(OWN, REVEAL)}).content.decode()
    assert OWN in shown
    assert WIFE not in shown and SON not in shown  # the others stay masked
    assert "139****1111" in shown and "158****3333" in shown
    entry = AuditEntry.objects.get(action="portal.own_phone.reveal")
    assert entry.actor == user and entry.after == {"numbers": ["138****5678"]}
    # the next view is masked again, and the code is used up
    assert OWN not in client.get("/r/home/").content.decode()
    assert client.get("/r/phone/code/")["Location"] == "/r/home/"


def test_another_member_reveals_only_her_own_number(household_a):
    client, _ = _as("李四妹", household_a)
    client.post("/r/phone/")
    shown = client.post("/r/phone/code/", {"code": code_texted_to(WIFE, REVEAL)}).content.decode()
    assert WIFE in shown and OWN not in shown and SON not in shown


def test_a_number_answered_by_a_child_is_not_hers_to_reveal(household_a):
    """王秀英's only phone is her son's (holder: child): no button, no code, the number never shown."""
    client, _ = _as("王秀英", household_a)
    assert "/r/phone/" not in client.get("/r/home/").content.decode()
    response = client.post("/r/phone/", follow=True)
    assert "您本人没有登记手机号码" in response.content.decode()
    assert _reveal_codes() == 0
    assert SON not in client.get("/r/phone/code/", follow=True).content.decode()


def test_the_son_sees_his_number_on_his_line_only(household_a):
    """张小明's number also reaches his mother: her line keeps the mask."""
    client, _ = _as("张小明", household_a)
    client.post("/r/phone/")
    shown = client.post("/r/phone/code/", {"code": code_texted_to(SON, REVEAL)}).content.decode()
    assert shown.count(SON) == 1 and "158****3333" in shown


def test_a_wrong_code_reveals_nothing_and_counts_towards_the_lock(household_a):
    client, _ = _as("张三", household_a)
    client.post("/r/phone/")
    for _ in range(4):
        page = client.post("/r/phone/code/", {"code": "000000"}).content.decode()
        assert OWN not in page and "验证码不正确或已过期" in page
    page = client.post("/r/phone/code/", {"code": "000000"}).content.decode()
    assert "次数过多" in page
    # the phone is locked for signing in too, and the right code no longer works
    assert "次数过多" in Client().post("/r/", {"phone": OWN}).content.decode()
    assert OWN not in client.post("/r/phone/code/", {"code": code_texted_to(OWN, REVEAL)}).content.decode()
    assert not AuditEntry.objects.filter(action="portal.own_phone.reveal").exists()


def test_codes_to_see_the_number_share_the_sign_in_limits(household_a):
    client, user = _as("张三", household_a)
    Client().post("/r/", {"phone": OWN})  # a sign-in code a moment ago
    response = client.post("/r/phone/", follow=True)
    assert "一分钟" in response.content.decode() and _reveal_codes() == 0
    # five codes in the hour, whatever their purpose: the sixth is refused
    now = timezone.now()
    SignInCode.objects.update(created_at=now - datetime.timedelta(minutes=55))
    for minutes in (50, 40, 30, 20):
        services.own_phone_code_send(
            user=user, ip_address=None, now=now - datetime.timedelta(minutes=minutes)
        )
    assert SignInCode.objects.count() == 5
    response = client.post("/r/phone/", follow=True)
    assert "一小时内" in response.content.decode()
    assert SignInCode.objects.count() == 5


def test_a_sign_in_code_does_not_show_the_number_nor_a_reveal_code_sign_in(household_a):
    client, _ = _as("张三", household_a)
    anonymous = Client()
    anonymous.post("/r/", {"phone": OWN})
    sign_in_code = code_texted_to(OWN)
    SignInCode.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=2))  # past the minute
    client.post("/r/phone/")
    page = client.post("/r/phone/code/", {"code": sign_in_code}).content.decode()
    assert OWN not in page and "验证码不正确或已过期" in page
    assert (
        anonymous.post("/r/code/", {"code": code_texted_to(OWN, REVEAL)}).status_code == 200
    )  # not signed in


@pytest.mark.parametrize("who", ["alice", "grid"])
def test_staff_have_no_own_number_to_reveal(request, who):
    client = Client()
    client.force_login(request.getfixturevalue(who))
    assert client.post("/r/phone/").status_code == 404
    assert client.post("/r/phone/code/", {"code": "123456"}).status_code == 404
