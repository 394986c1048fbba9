"""An area filter (`?village=`, `?group=`) that names nothing is refused like one out of scope."""

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("param", ["village", "group"])
@pytest.mark.parametrize("value", ["999999", "abc", "1.5", "²", "-1"])
def test_a_malformed_or_absent_area_filter_is_404(param, value, admin_user):
    """The dashboard and the lists refuse an area filter that names nothing, as they refuse one out of scope:
    404 on the pages and in the API alike (the lists share their filtersets)."""
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    urls = [
        reverse("registry:home"),
        reverse("registry:households"),
        reverse("registry:household_export"),
        reverse("api-dashboard"),
        reverse("household-list"),
    ]
    if param == "village":
        urls.append(reverse("villagegroup-list"))
    for url in urls:
        response = client.get(url, {param: value})
        assert response.status_code == 404, f"{url}?{param}={value}: {response.status_code}"
