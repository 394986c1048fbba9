"""Text shown in clear to every role (names, notes, who answers a phone, household and house numbers,
addresses) carries no phone or ID number, however it is written; the refusal names the field."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from xiangzhi.registry import services
from xiangzhi.registry.tests.factories import make_id

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("number", "１３８１２３４５６７８"),
        ("number", "A-138 1234 5678"),
        ("address", "玉峰村1组，电话 138\u00a01234\u00a05678"),
        ("address", "٥٠٠١١١١٩٧٠٠٣٠٥٠٠٢٣"),
        ("house_number", "138–1234–5678"),
    ],
)
def test_a_phone_or_id_number_in_a_household_field_is_refused_naming_it(alice, group_a1, field, value):
    values = {"number": "A-010", "address": "", "house_number": ""} | {field: value}
    with pytest.raises(ValidationError) as exc:
        services.household_create(actor=alice, group=group_a1, **values)
    assert set(exc.value.message_dict) == {field}


def test_everyday_household_fields_pass(alice, group_a1):
    household = services.household_create(
        actor=alice, group=group_a1, number="A-001", address="玉峰村1组，邮编 409000", house_number="12号"
    )
    assert (household.number, household.house_number) == ("A-001", "12号")


def test_an_update_is_checked_too(alice, household_a):
    with pytest.raises(ValidationError) as exc:
        services.household_update(actor=alice, household=household_a, house_number="1３8 1234 5678")
    assert set(exc.value.message_dict) == {"house_number"}


def test_the_page_shows_the_refusal_on_the_field(client, alice, group_a1):
    client.force_login(alice)
    response = client.post(
        reverse("registry:household_create"),
        {"group": group_a1.pk, "address": "电话１３８１２３４５６７８"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["address"]


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("name", "张三１３８１２３４５６７８"),
        ("notes", "儿子电话 ١٣٨ ١٢٣٤ ٥٦٧٨"),
        ("notes", "儿子电话 138\u200b1234\u200b5678"),
        ("holder_name", "张小明 139－0000－1111"),
    ],
)
def test_a_disguised_number_in_a_resident_text_is_refused(alice, household_a, field, text):
    kwargs = {"name": "张小宝", "notes": "", "phones": []}
    if field == "holder_name":
        kwargs["phones"] = [services.PhoneInput(number="13700001234", holder="child", holder_name=text)]
    else:
        kwargs[field] = text
    with pytest.raises(ValidationError) as exc:
        services.resident_add(
            start_reason="registered",
            actor=alice,
            household=household_a,
            relationship="grandson",
            sex="M",
            no_id_reason="newborn",
            **kwargs,
        )
    assert set(exc.value.message_dict) == {"phones" if field == "holder_name" else field}


def test_a_long_household_number_from_the_hukou_system_is_accepted(alice, group_a1):
    """Real 户号 are often long runs of digits; only a phone or a valid ID number is refused as a household number."""
    household = services.household_create(actor=alice, group=group_a1, number="500111108000123")
    assert household.number == "500111108000123"
    for personal in ("13812345678", make_id(datetime.date(1970, 3, 5), "M", 9)):
        with pytest.raises(ValidationError) as exc:
            services.household_create(actor=alice, group=group_a1, number=personal)
        assert set(exc.value.message_dict) == {"number"}
