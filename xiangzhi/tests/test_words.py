"""The zh-Hans interface speaks one language in one register: 名称 for places and flags, 标签 for flags, moves
within the town told apart from moves out of it, full-width label colons, 您 in Django's own strings, no English
(file names and coordinates included), flag codes out of the cadres' sight, and the person named in the header."""

import re
from urllib.parse import quote

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import translation

from xiangzhi.accounts.forms import UserCreateForm
from xiangzhi.areas.models import Village, VillageGroup
from xiangzhi.registry.choices import MembershipEnd, Relationship, ResidenceStatus
from xiangzhi.registry.models import FlagType, Resident

pytestmark = pytest.mark.django_db


def zh(text) -> str:
    with translation.override("zh-hans"):
        return str(text)


def test_places_and_flags_have_a_name_and_people_a_full_name():
    for model in (Village, VillageGroup, FlagType):
        assert zh(model._meta.get_field("name").verbose_name) == "名称"
    assert zh(Resident._meta.get_field("name").verbose_name) == "姓名"


def test_moving_within_the_town_and_moving_out_of_it_read_differently():
    within, out = zh(MembershipEnd.MOVED.label), zh(MembershipEnd.MOVED_OUT.label)
    assert within == "镇内转户" and out == "迁出本镇"
    assert "本镇" in zh(ResidenceStatus.MOVED_OUT.label)


def test_a_daughter_is_not_just_female():
    assert zh(Relationship.DAUGHTER.label) == "女儿" != zh("Female")
    assert zh(Relationship.SON.label) == "儿子" != zh("Male")


def test_form_labels_end_in_a_full_width_colon_and_english_ones_in_a_colon(admin_user):
    with translation.override("zh-hans"):
        html = str(UserCreateForm(user=admin_user)["username"].label_tag())
    assert html.endswith("用户名：</label>")
    with translation.override("en"):
        assert str(UserCreateForm(user=admin_user)["username"].label_tag()).endswith("username:</label>")


def test_django_password_help_says_nin():
    from django.contrib.auth.password_validation import password_validators_help_texts

    with translation.override("zh-hans"):
        texts = password_validators_help_texts()
    assert texts and all("你" not in t for t in texts)
    assert any("您的密码" in t for t in texts)


def test_the_export_is_a_spreadsheet_with_a_chinese_file_name(client, alice, household_a):
    client.force_login(alice)
    page = client.get(reverse("registry:households")).content.decode()
    assert "导出表格" in page and "CSV" not in page
    disposition = client.get(reverse("registry:household_export"))["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename="households-\d{8}\.csv"; filename\*=UTF-8\'\'.+', disposition)
    assert quote("户列表-") in disposition


def test_coordinates_are_called_jingweidu(client, alice, household_a):
    household_a.latitude, household_a.longitude = 29.6, 106.5
    household_a.save(update_fields=["latitude", "longitude"])
    client.force_login(alice)
    page = client.get(reverse("registry:household", args=[household_a.pk])).content.decode()
    assert "经纬度" in page and "WGS" not in page


def test_flag_codes_stay_in_the_administrators_form(client, admin_user, household_a):
    client.force_login(admin_user)
    page = client.get(reverse("registry:flags")).content.decode()
    table = page[page.index("<table") : page.index("</table>")]
    codes = list(FlagType.objects.values_list("code", flat=True))
    assert codes and not any(f">{code}<" in table for code in codes)
    assert 'name="code"' in page and "标签代码" in page and "标签名称" in table


def test_the_header_names_the_person_and_links_a_favicon(client, alice):
    alice.display_name = "王红梅"
    alice.save(update_fields=["display_name"])
    client.force_login(alice)
    page = client.get(reverse("registry:households")).content.decode()
    header = page[page.index('<header class="top">') : page.index("</header>")]
    assert "王红梅" in header and "村干部" not in header
    icon = re.search(r'<link rel="icon" href="/static/(core/favicon\.svg)"', page)
    assert icon and finders.find(icon.group(1))


@pytest.mark.parametrize(
    ("url_name", "who"),
    [
        ("registry:households", "alice"),
        ("registry:flags", "admin_user"),
        ("areas:villages", "admin_user"),
        ("accounts:users", "admin_user"),
    ],
)
def test_wide_tables_stack_into_cards_on_a_phone(client, request, household_a, url_name, who):
    client.force_login(request.getfixturevalue(who))
    page = client.get(reverse(url_name)).content.decode()
    assert '<table class="stack">' in page and '<tr class="head">' in page
    assert '<td class="title">' in page
