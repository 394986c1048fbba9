"""Door-plate cards: a QR code with an unguessable token and a PIN sign a household without a mobile number in;
a new card revokes the old one; wrong PINs lock the card."""

import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from pypdf import PdfReader

from xiangzhi.core.models import AuditEntry
from xiangzhi.core.pdf import NoPdfFont, pdf_font
from xiangzhi.portal import services
from xiangzhi.portal.models import DoorPlate


def _font_or_skip():
    try:
        pdf_font()
    except NoPdfFont:
        from xiangzhi.tests.helpers import require_system_part

        require_system_part("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "fonts-noto-cjk")


def test_a_cadre_prints_the_card_and_the_family_signs_in_with_its_pin(alice, household_a, client):
    _font_or_skip()
    client.force_login(alice)
    page = client.get(f"/registry/households/{household_a.pk}/").content.decode()
    assert f"/r/door-plates/{household_a.pk}/" in page  # on the card, for who may print it
    response = client.post(f"/r/door-plates/{household_a.pk}/")
    assert response["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    text = re.sub(r"[\s\x00]+", "", text)
    assert household_a.village.name in text
    # the slip's PIN is the card's
    pin = re.search(r"密码：(\d{6})", text)
    assert pin is not None, text
    plate = DoorPlate.objects.unrestricted("test").get(household=household_a, revoked_at__isnull=True)
    assert services._pin_hash(plate.token_hash, pin.group(1)) == plate.pin_hash
    assert AuditEntry.objects.filter(action="portal.door_plate.issue").count() == 1


def test_the_pin_signs_in_as_the_head(alice, household_a):
    issued = services.door_plate_issue(actor=alice, household=household_a)
    client = Client()
    assert client.get(f"/r/p/{issued.token}/").status_code == 200
    response = client.post(f"/r/p/{issued.token}/", {"pin": issued.pin})
    assert response["Location"] == "/r/home/"
    assert "张三" in client.get("/r/home/").content.decode()
    after = AuditEntry.objects.get(action="portal.resident.sign_in").after
    assert after is not None and after["via"] == "door_plate"


def test_the_token_carries_no_number_of_the_household(alice, household_a):
    issued = services.door_plate_issue(actor=alice, household=household_a)
    assert len(issued.token) >= 32
    assert household_a.number not in issued.token and str(household_a.pk) != issued.token


def test_a_new_card_makes_the_old_one_stop_working(alice, household_a):
    old = services.door_plate_issue(actor=alice, household=household_a)
    new = services.door_plate_issue(actor=alice, household=household_a)
    assert Client().get(f"/r/p/{old.token}/").status_code == 404
    with pytest.raises(ValidationError):
        services.door_plate_verify(token=old.token, pin=old.pin, ip_address=None)
    assert services.door_plate_verify(token=new.token, pin=new.pin, ip_address=None).name == "张三"


def test_five_wrong_pins_lock_the_card(alice, household_a):
    issued = services.door_plate_issue(actor=alice, household=household_a)
    wrong = "000000" if issued.pin != "000000" else "111111"
    for _ in range(4):
        with pytest.raises(ValidationError, match=r"不正确|wrong"):
            services.door_plate_verify(token=issued.token, pin=wrong, ip_address=None)
    with pytest.raises(ValidationError, match="之后再试"):
        services.door_plate_verify(token=issued.token, pin=wrong, ip_address=None)
    with pytest.raises(ValidationError, match="之后再试"):
        services.door_plate_verify(token=issued.token, pin=issued.pin, ip_address=None)


def test_a_cadre_of_another_village_cannot_print_it(charlie, household_a, client):
    client.force_login(charlie)
    assert client.get(f"/r/door-plates/{household_a.pk}/").status_code == 404
    assert client.post(f"/r/door-plates/{household_a.pk}/").status_code == 404


def test_an_unknown_card_says_so(client, db):
    response = client.get("/r/p/not-a-card/")
    assert response.status_code == 404
