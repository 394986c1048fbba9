"""Notices: published to the town, a village or groups; read by households on their page; who has not read one;
an optional text to each household head."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from xiangzhi.core.exceptions import NotInScope
from xiangzhi.messaging.models import Message
from xiangzhi.notices import selectors, services
from xiangzhi.notices.models import NoticeReceipt
from xiangzhi.tests.helpers import run_tasks


def _publish(actor, **kw):
    return services.notice_publish(
        actor=actor, title=kw.pop("title", "防汛通知"), body="今晚有暴雨，请注意安全。", **kw
    )


def test_a_cadre_notifies_their_village_and_its_households_read_it(alice, village_a, household_a, resident):
    notice = _publish(alice, village=village_a)
    client = Client()
    client.force_login(resident)
    assert "防汛通知" in client.get("/r/notices/").content.decode()
    assert client.get(f"/r/notices/{notice.pk}/").status_code == 200
    client.get(f"/r/notices/{notice.pk}/")  # reading twice counts once
    assert NoticeReceipt.objects.unrestricted("test").filter(notice=notice).count() == 1
    readership = selectors.readership(user=alice, notice=notice)
    assert (readership.audience, readership.read) == (1, 1)


def test_unread_households_are_listed_for_calling(alice, village_a, household_a, client):
    notice = _publish(alice, village=village_a)
    client.force_login(alice)
    page = client.get(f"/notices/{notice.pk}/").content.decode()
    assert "A-001" in page and "张三" in page
    assert f"/registry/households/{household_a.pk}/" in page


def test_a_notice_to_some_groups_reaches_only_them(alice, village_a, group_a2, household_a, resident):
    notice = _publish(alice, village=village_a, groups=[group_a2])
    household = household_a
    assert not selectors.household_notices(user=resident, household=household).filter(pk=notice.pk).exists()
    client = Client()
    client.force_login(resident)
    assert client.get(f"/r/notices/{notice.pk}/").status_code == 404


def test_only_the_town_notifies_the_whole_town(alice, admin_user, household_a, household_b, resident):
    with pytest.raises(ValidationError):
        _publish(alice)  # a cadre: their village only
    notice = _publish(admin_user)
    assert selectors.readership(user=admin_user, notice=notice).audience == 2
    assert selectors.household_notices(user=resident, household=household_a).filter(pk=notice.pk).exists()


def test_a_cadre_cannot_notify_another_village_or_its_groups(alice, village_a, village_b, group_b1):
    with pytest.raises(NotInScope):
        _publish(alice, village=village_b)
    with pytest.raises(ValidationError):
        _publish(alice, village=village_a, groups=[group_b1])


def test_a_notice_carries_no_personal_number(alice, village_a):
    with pytest.raises(ValidationError):
        services.notice_publish(actor=alice, title="通知", body="有事请打 13812345678", village=village_a)


def test_the_text_goes_once_to_each_household_head(alice, village_a, household_a):
    notice = _publish(alice, village=village_a, sms=True)
    run_tasks()
    messages = list(Message.objects.unrestricted("test").filter(kind="notices.notice"))
    assert [m.phone for m in messages] == ["13812345678"]  # 张三, the head; not the son or the mother
    assert "防汛通知" in messages[0].body
    from xiangzhi.notices.tasks import notice_texts_send

    notice_texts_send.call(notice.pk)  # a retry sends nothing twice
    assert Message.objects.unrestricted("test").filter(kind="notices.notice").count() == 1


def test_the_publish_form_on_the_page(alice, village_a, client):
    client.force_login(alice)
    response = client.post(
        "/notices/", {"title": "开会通知", "body": "周五下午开村民大会。", "village": village_a.pk}
    )
    assert response.status_code == 302
    assert "开会通知" in client.get("/notices/").content.decode()
    # an empty form answers with its errors, nothing published
    assert client.post("/notices/", {"title": ""}).status_code == 200


@pytest.mark.parametrize("more", [0, 12])
def test_texting_a_notice_takes_the_same_statements_however_many_households(
    admin_user, group_a1, household_a, more, django_assert_max_num_queries
):
    from xiangzhi.notices.tasks import notice_texts_send
    from xiangzhi.registry.services import PhoneInput
    from xiangzhi.registry.tests.factories import HouseholdFactory, ResidentFactory

    for i in range(more):
        household = HouseholdFactory(actor=admin_user, group=group_a1)
        ResidentFactory(actor=admin_user, household=household, phones=[PhoneInput(number=f"1390000{i:04d}")])
    notice = _publish(admin_user, sms=True)
    # the notice, its publisher and town, the heads' phones, the keys read, the texts written, their ids read, one
    # delivery task (and a savepoint): ten, for 1 household as for 13
    with django_assert_max_num_queries(10):
        assert notice_texts_send.call(notice.pk) == 1 + more
    assert Message.objects.unrestricted("test").filter(kind="notices.notice").count() == 1 + more
    with django_assert_max_num_queries(10):  # again: nothing new
        notice_texts_send.call(notice.pk)
    run_tasks()
    assert set(Message.objects.unrestricted("test").values_list("state", flat=True)) == {"sent"}
