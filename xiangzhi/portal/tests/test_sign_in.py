"""Residents sign in with a code sent to their own phone on record: expiry, single use, rate limits, lockout, no
way to learn which numbers are on record, and then their own household only."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from xiangzhi.core.models import AuditEntry
from xiangzhi.messaging.models import Message
from xiangzhi.portal import services
from xiangzhi.portal.models import SignInCode
from xiangzhi.portal.tests.helpers import code_texted_to

OWN = "13812345678"  # 张三's own number (household A-001)
SHARED_BY_SON = "15822223333"  # 张小明's own, and his mother's as "answered by a child"
NOT_ON_RECORD = "13700000000"


def _signed_in_name() -> str:
    actor = AuditEntry.objects.get(action="portal.resident.sign_in").actor
    assert actor is not None
    return actor.display_name


def _ask(client: Client, phone: str):
    return client.post("/r/", {"phone": phone})


def test_a_resident_signs_in_with_the_code_texted_to_their_own_number(household_a):
    client = Client()
    assert _ask(client, "138 1234 5678")["Location"] == "/r/code/"
    code = code_texted_to(OWN)
    page = client.get("/r/code/").content.decode()
    assert "138****5678" in page and OWN not in page
    response = client.post("/r/code/", {"code": code})
    assert response["Location"] == "/r/home/"
    home = client.get("/r/home/").content.decode()
    assert "张三" in home and "王秀英" in home  # the household's members
    assert OWN not in home and "138****5678" in home  # masked, their own too
    actor = AuditEntry.objects.get(action="portal.resident.sign_in").actor
    assert actor is not None and actor.resident_account.resident.name == "张三"


def test_a_number_not_on_record_gets_the_same_answer_and_no_message(household_a):
    client = Client()
    on_record = _ask(Client(), OWN)
    not_on_record = _ask(client, NOT_ON_RECORD)
    assert (not_on_record.status_code, not_on_record["Location"]) == (
        on_record.status_code,
        on_record["Location"],
    )
    assert Message.objects.unrestricted("test").count() == 1
    # and no code works for it
    for guess in ("000000", "123456"):
        assert client.post("/r/code/", {"code": guess}).status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_phone_that_only_answers_for_someone_signs_in_only_its_owner(household_a):
    client = Client()
    _ask(client, SHARED_BY_SON)
    response = client.post("/r/code/", {"code": code_texted_to(SHARED_BY_SON)})
    assert response["Location"] == "/r/home/"  # 张小明 alone: his mother's "answered by a child" is not hers
    assert _signed_in_name() == "张小明"


def test_a_code_works_once(household_a):
    client = Client()
    _ask(client, OWN)
    code = code_texted_to(OWN)
    client.post("/r/code/", {"code": code})
    key = services.phone_key(OWN)
    with pytest.raises(services.ValidationError):
        services.code_verify(key=key, code=code, ip_address=None)


def test_a_code_expires_after_five_minutes(household_a):
    start = timezone.now()
    services.code_request(phone=OWN, ip_address=None, now=start)
    code = code_texted_to(OWN)
    key = services.phone_key(OWN)
    with pytest.raises(services.ValidationError, match="不正确或已过期"):
        services.code_verify(
            key=key, code=code, ip_address=None, now=start + datetime.timedelta(minutes=5, seconds=1)
        )
    assert services.code_verify(
        key=key, code=code, ip_address=None, now=start + datetime.timedelta(minutes=4)
    )


def test_codes_are_limited_per_phone(household_a):
    start = timezone.now()
    services.code_request(phone=OWN, ip_address=None, now=start)
    with pytest.raises(services.ValidationError, match="不到一分钟"):
        services.code_request(phone=OWN, ip_address=None, now=start + datetime.timedelta(seconds=30))
    for minute in range(1, 5):
        services.code_request(phone=OWN, ip_address=None, now=start + datetime.timedelta(minutes=minute))
    with pytest.raises(services.ValidationError, match="一小时内"):
        services.code_request(phone=OWN, ip_address=None, now=start + datetime.timedelta(minutes=6))
    services.code_request(phone=OWN, ip_address=None, now=start + datetime.timedelta(minutes=61))


def test_codes_are_limited_per_address(household_a, settings):
    settings.XIANGZHI_SIGN_IN_CODES_PER_ADDRESS_PER_HOUR = 3
    for i in range(3):
        services.code_request(phone=f"1370000000{i}", ip_address="10.0.0.7")
    with pytest.raises(services.ValidationError, match="当前网络"):
        services.code_request(phone="13700000009", ip_address="10.0.0.7")
    services.code_request(phone="13700000009", ip_address="10.0.0.8")


def test_five_wrong_codes_lock_the_phone_for_thirty_minutes(household_a):
    start = timezone.now()
    services.code_request(phone=OWN, ip_address=None, now=start)
    code = code_texted_to(OWN)
    key = services.phone_key(OWN)
    for _ in range(4):
        with pytest.raises(services.ValidationError, match="不正确或已过期"):
            services.code_verify(
                key=key, code="000000" if code != "000000" else "111111", ip_address=None, now=start
            )
    with pytest.raises(services.ValidationError, match="之后再试"):
        services.code_verify(
            key=key, code="999999" if code != "999999" else "111111", ip_address=None, now=start
        )
    # locked: even the right code, and no new code, for 30 minutes
    with pytest.raises(services.ValidationError, match="之后再试"):
        services.code_verify(key=key, code=code, ip_address=None, now=start + datetime.timedelta(minutes=1))
    with pytest.raises(services.ValidationError, match="之后再试"):
        services.code_request(phone=OWN, ip_address=None, now=start + datetime.timedelta(minutes=29))
    services.code_request(phone=OWN, ip_address=None, now=start + datetime.timedelta(minutes=31))
    later = start + datetime.timedelta(minutes=31)
    assert services.code_verify(key=key, code=code_texted_to(OWN), ip_address=None, now=later)


def test_codes_are_kept_as_keyed_hashes_only(household_a):
    services.code_request(phone=OWN, ip_address=None)
    code = code_texted_to(OWN)
    row = SignInCode.objects.get()
    assert code not in row.code_hash and OWN not in row.phone_blind


@pytest.mark.parametrize("typed", ["12345", "1381234567", "abc", "23812345678"])
def test_a_mistyped_number_is_refused_with_a_message(household_a, typed):
    response = _ask(Client(), typed)
    assert response.status_code == 200
    assert "11" in response.content.decode()
    assert not SignInCode.objects.exists()


def test_a_family_sharing_a_number_chooses_who_signs_in(household_a, admin_user):
    from xiangzhi.core.crypto import blind_index

    mother = household_a.residents.unrestricted("test").get(name="王秀英")
    # the head's own phone is hers too
    mother.phones.unrestricted("test set-up").update(
        number=OWN, blind=blind_index("phone", OWN), holder="self"
    )
    client = Client()
    _ask(client, OWN)
    assert client.post("/r/code/", {"code": code_texted_to(OWN)})["Location"] == "/r/choose/"
    page = client.get("/r/choose/").content.decode()
    assert "张三" in page and "王秀英" in page
    assert client.post("/r/choose/", {"resident": str(mother.pk)})["Location"] == "/r/home/"
    assert _signed_in_name() == "王秀英"


def test_a_resident_reaches_only_their_own_household(resident, household_a, household_b, client):
    client.force_login(resident)
    assert client.get("/r/home/").status_code == 200
    for url in (
        f"/registry/households/{household_a.pk}/",
        f"/registry/households/{household_b.pk}/",
        "/registry/",
        f"/api/v1/registry/households/{household_b.pk}/",
    ):
        assert client.get(url).status_code in (404, 403), url


def test_a_visitor_is_sent_to_the_residents_sign_in(client):
    response = client.get("/r/home/")
    assert response.status_code == 302 and response["Location"].startswith("/r/?next=")


def test_the_account_follows_the_resident_to_a_new_household(resident, household_a, admin_user, group_a2):
    from xiangzhi.registry import services as registry

    zhang = resident.resident_account.resident
    new = registry.household_create(actor=admin_user, group=group_a2, number="A-200")
    registry.resident_move(actor=admin_user, resident=zhang, household=new, relationship="head")
    client = Client()
    _ask(client, OWN)
    client.post("/r/code/", {"code": code_texted_to(OWN)})
    assert "A-200" in client.get("/r/home/").content.decode()
