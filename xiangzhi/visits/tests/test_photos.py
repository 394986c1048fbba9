"""Photos on a field visit (走访照片): taken on the phone from the card, checked and re-encoded (no EXIF, no GPS),
kept in private storage with the visit, shown only to who may read that household's visits."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from xiangzhi.core.models import AuditEntry
from xiangzhi.visits import services
from xiangzhi.visits.models import Visit, VisitPhoto
from xiangzhi.visits.tests.factories import GPS_IFD, camera_photo

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _stored_names() -> list[str]:
    storage = VisitPhoto.image.field.storage
    names: list[str] = []
    stack = ["visits"]
    while stack:
        folder = stack.pop()
        if not storage.exists(folder):
            continue
        dirs, files = storage.listdir(folder)
        stack += [f"{folder}/{d}" for d in dirs]
        names += [f"{folder}/{f}" for f in files]
    return names


def _log_page(client, household, photos, notes="屋顶漏雨"):
    return client.post(
        f"/visits/households/{household.pk}/new/",
        {"visited_on": TODAY.isoformat(), "notes": notes, "photos": photos},
    )


def test_a_grid_worker_attaches_photos_from_the_card(grid, household_a):
    client = _client(grid)
    form = client.get(f"/visits/households/{household_a.pk}/new/").content.decode()
    assert 'enctype="multipart/form-data"' in form
    assert form.count('accept="image/*" capture="environment"') == 3

    big = camera_photo("IMG_0002.jpg", size=(3000, 2000))
    assert _log_page(client, household_a, [camera_photo(), big]).status_code == 302

    visit = Visit.objects.unrestricted("test").get()
    photos = list(VisitPhoto.objects.unrestricted("test").filter(visit=visit))
    assert len(photos) == 2
    for photo in photos:
        with Image.open(photo.image.open("rb")) as image:
            assert image.format == "JPEG"
            assert max(image.size) <= 1600
            assert not image.getexif() and not image.getexif().get_ifd(GPS_IFD)  # no camera, no position
        with Image.open(photo.thumbnail.open("rb")) as small:
            assert max(small.size) <= 320
    with Image.open(photos[1].image.open("rb")) as image:
        assert image.size == (1600, 1067)
    assert AuditEntry.objects.filter(action="visits.photo.add").count() == 2

    # the visit list on the log page shows the photos, linked to the full size
    page = client.get(f"/visits/households/{household_a.pk}/new/").content.decode()
    assert f"/visits/photos/{photos[0].pk}/small/" in page
    assert f"/visits/photos/{photos[0].pk}/" in page


def test_a_bad_file_is_refused_in_chinese_and_nothing_is_written(grid, household_a):
    fake = SimpleUploadedFile("roof.jpg", b"<?php system($_GET['c']); ?>", content_type="image/jpeg")
    stored = _stored_names()
    response = _log_page(_client(grid), household_a, [camera_photo(), fake])

    assert response.status_code == 200
    assert "第 2 张照片：请上传照片（JPEG 或 PNG 格式）。" in response.content.decode()
    assert not Visit.objects.unrestricted("test").exists()
    assert not VisitPhoto.objects.unrestricted("test").exists()
    assert _stored_names() == stored
    assert not AuditEntry.objects.filter(action__startswith="visits.").exists()


def test_too_large_and_too_many_photos_are_refused(grid, household_a):
    stored = _stored_names()
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, "JPEG")
    huge = SimpleUploadedFile(
        "x.jpg", buffer.getvalue() + b"\0" * (10 * 1024 * 1024), content_type="image/jpeg"
    )
    page = _log_page(_client(grid), household_a, [huge]).content.decode()
    assert "照片太大了" in page
    page = _log_page(_client(grid), household_a, [camera_photo() for _ in range(4)]).content.decode()
    assert "一次走访最多 3 张照片。" in page
    assert not Visit.objects.unrestricted("test").exists() and _stored_names() == stored


def test_a_failed_write_after_the_photos_are_stored_leaves_no_file(grid, household_a, monkeypatch):
    from xiangzhi.visits import services as visit_services

    def broken(**kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(
        visit_services, "audit_record", lambda **kw: broken() if "photo" in kw["action"] else None
    )
    stored = _stored_names()
    with pytest.raises(RuntimeError):
        services.visit_log(actor=grid, household=household_a, visited_on=TODAY, photos=[camera_photo()])
    assert _stored_names() == stored
    assert not Visit.objects.unrestricted("test").exists()


def test_the_photo_is_served_only_to_who_may_read_the_households_visits(
    grid, alice, charlie, duty, resident, household_a
):
    visit = services.visit_log(actor=grid, household=household_a, visited_on=TODAY, photos=[camera_photo()])
    photo = visit.photos.unrestricted("test").get()
    for url in (f"/visits/photos/{photo.pk}/", f"/visits/photos/{photo.pk}/small/"):
        answer = _client(alice).get(url)
        assert answer.status_code == 200 and answer["Content-Type"] == "image/jpeg"
        assert "no-store" in answer["Cache-Control"] and answer["X-Content-Type-Options"] == "nosniff"
        assert _client(grid).get(url).status_code == 200
        # village B's cadre, the duty officer, the household's own resident: as if it did not exist
        for outsider in (charlie, duty, resident):
            assert _client(outsider).get(url).status_code == 404
    assert Client().get(f"/visits/photos/{photo.pk}/").status_code == 302  # to the sign-in page


def test_the_visit_list_shows_photos_only_in_scope(grid, charlie, household_a, household_b, admin_user):
    services.visit_log(actor=admin_user, household=household_a, visited_on=TODAY, photos=[camera_photo()])
    assert _client(charlie).get(f"/visits/households/{household_a.pk}/new/").status_code == 404


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_grid_worker_logs_a_visit_with_photos_on_a_phone(live_server, household_a, grid, tmp_path):
    """From the household card on a 360-px phone: 登记走访, two photos from the camera, saved; the visit list shows
    them as thumbnails."""
    from xiangzhi.accounts.tests.factories import PASSWORD
    from xiangzhi.tests.helpers import CHROMIUM, CHROMIUM_ARGS, require_system_part

    require_system_part(CHROMIUM, "Chromium")
    from playwright.sync_api import expect, sync_playwright

    shots = [tmp_path / "a.jpg", tmp_path / "b.jpg"]
    for path in shots:
        path.write_bytes(camera_photo(size=(1200, 900)).read())
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(
                viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale="zh-CN"
            ).new_page()
            page.set_default_timeout(10_000)
            page.goto(live_server.url + "/accounts/login/")
            page.fill("#id_username", "grid")
            page.fill("#id_password", PASSWORD)
            page.locator("form:has(#id_username) [type=submit]").click()
            page.goto(f"{live_server.url}/registry/households/{household_a.pk}/")
            page.get_by_role("link", name="登记走访").first.click()
            page.fill("textarea[name=notes]", "屋顶漏雨，已拍照")
            page.locator("input[name=photos]").nth(0).set_input_files(str(shots[0]))
            page.locator("input[name=photos]").nth(1).set_input_files(str(shots[1]))
            assert page.evaluate("document.documentElement.scrollWidth") <= 360
            page.screenshot(path="/tmp/shots-live9/visit-1-form.png", full_page=True)
            page.locator("main form [type=submit]").first.click()
            page.wait_for_url(f"**/registry/households/{household_a.pk}/")
            page.goto(f"{live_server.url}/visits/households/{household_a.pk}/new/")
            thumbs = page.locator(".visit-photos img")
            expect(thumbs).to_have_count(2)
            expect(thumbs.first).to_have_js_property("naturalWidth", 320)
            assert page.evaluate("document.documentElement.scrollWidth") <= 360
            page.screenshot(path="/tmp/shots-live9/visit-2-list.png", full_page=True)
        finally:
            browser.close()
