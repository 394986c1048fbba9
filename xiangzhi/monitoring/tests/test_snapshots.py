"""Snapshots: a JPEG or PNG within the size limit, stored privately and served only to who may view the point."""

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from xiangzhi.monitoring import services

from .factories import PointFactory

pytestmark = pytest.mark.django_db
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 100 + b"\xff\xd9"


def test_a_snapshot_is_kept_and_shown_on_the_points_page(admin_user, village_a, alice, charlie, client):
    point = PointFactory.create(actor=admin_user, village=village_a)
    shot = services.snapshot_store(actor=alice, point=point, image=JPEG)
    client.force_login(alice)
    assert (
        f"/monitoring/snapshots/{shot.pk}/" in client.get(f"/monitoring/points/{point.pk}/").content.decode()
    )
    answer = client.get(f"/monitoring/snapshots/{shot.pk}/")
    assert (answer.status_code, b"".join(answer.streaming_content)) == (200, JPEG)
    client.force_login(charlie)
    assert client.get(f"/monitoring/snapshots/{shot.pk}/").status_code == 404


@override_settings(XIANGZHI_SNAPSHOT_MAX_BYTES=50)
def test_a_snapshot_too_large_or_not_an_image_is_refused(admin_user):
    point = PointFactory.create(actor=admin_user)
    with pytest.raises(ValidationError, match="上限"):
        services.snapshot_store(actor=admin_user, point=point, image=JPEG)
    with pytest.raises(ValidationError):
        services.snapshot_store(actor=admin_user, point=point, image=b"GIF89a")


def test_the_platform_takes_a_snapshot_for_an_alarm_without_an_actor(admin_user):
    point = PointFactory.create(actor=admin_user)
    shot = services.snapshot_store(point=point, image=JPEG, reason="alarm")
    assert (shot.taken_by, shot.size_bytes) == (None, len(JPEG))
