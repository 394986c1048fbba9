"""Bad input is a 4xx, never a 500; an error page shows no personal number; answers are never cached."""

import sys

import pytest
from django.test import RequestFactory
from rest_framework.test import APIClient

from xiangzhi.core.debug import PersonalDataReporter, PersonalDataReporterFilter

DEEP = "[" * 5000 + "]" * 5000


@pytest.mark.django_db
def test_deeply_nested_json_is_a_400_even_before_login(alice, household_a):
    anonymous = APIClient()
    response = anonymous.post("/api/v1/auth/token/", DEEP, content_type="application/json")
    assert response.status_code == 400
    signed_in = APIClient()
    signed_in.force_authenticate(alice)
    response = signed_in.post(
        f"/api/v1/registry/households/{household_a.pk}/members/", DEEP, content_type="application/json"
    )
    assert response.status_code == 400


def _report(request, secret_local):
    try:
        raise ValueError("boom")
    except ValueError:
        reporter = PersonalDataReporter(request, *sys.exc_info())
        reporter.filter = PersonalDataReporterFilter()
        return reporter.get_traceback_html()


def test_an_error_report_shows_no_personal_number():
    request = RequestFactory().post("/x/?q=13912345678", {"id_number": "11010519491231002X", "note": "ok"})
    id_number = "11010519491231002X"  # a local variable of the failing frame
    html = _report(request, {"phone": "13812345678"})
    assert "11010519491231002X" not in html and "13812345678" not in html and "13912345678" not in html
    assert id_number and "********************" in html
    assert "boom" in html


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/registry/", "/api/v1/me/", "/accounts/login/"])
def test_answers_are_never_kept_by_a_browser_or_proxy(client, alice, url):
    client.force_login(alice)
    assert "no-store" in client.get(url)["Cache-Control"]


def test_the_development_server_shows_no_debug_page_unless_asked(monkeypatch):
    import importlib

    from xiangzhi.config.settings import dev

    monkeypatch.delenv("XIANGZHI_DEBUG", raising=False)
    assert importlib.reload(dev).DEBUG is False
    monkeypatch.setenv("XIANGZHI_DEBUG", "1")
    assert importlib.reload(dev).DEBUG is True
    monkeypatch.delenv("XIANGZHI_DEBUG")
    importlib.reload(dev)


@pytest.mark.django_db
def test_an_api_url_no_route_matches_is_a_json_404_and_a_page_url_an_html_one(alice):
    client = APIClient()
    client.force_authenticate(alice)
    response = client.get("/api/v1/registry/households/1.5/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "未找到。"}
    page = client.get("/registry/no-such-page/")
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")


def _project_forms():
    """Every form class declared in a `forms` module of the project's apps."""
    import importlib
    import inspect

    from django import forms
    from django.apps import apps

    for config in apps.get_app_configs():
        if not config.name.startswith("xiangzhi."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.forms")
        except ModuleNotFoundError:
            continue
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                yield cls


def test_every_model_choice_of_the_project_checks_its_key_before_the_database():
    from django import forms

    from xiangzhi.core.forms import ModelChoiceField, ModelMultipleChoiceField

    found = []
    for form in _project_forms():
        for name, field in form.base_fields.items():
            if isinstance(field, forms.ModelChoiceField):
                found.append(name)
                assert isinstance(field, ModelChoiceField | ModelMultipleChoiceField), (
                    f"{form.__module__}.{form.__name__}.{name}: use xiangzhi.core.forms' field"
                )
    assert {"group", "flags", "village", "groups"} <= set(found)


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["99999999999999999999", "-1", "0x1"])
def test_a_key_no_row_could_have_is_a_form_error_on_the_account_pages(client, admin_user, alice, bad):
    client.force_login(admin_user)
    response = client.post(
        "/accounts/users/",
        {"username": "newcomer", "password": "a-long-pass-123", "roles": ["grid"], "groups": [bad]},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["groups"]
    response = client.post(
        "/accounts/users/",
        {"username": "newcomer", "password": "a-long-pass-123", "roles": ["cadre"], "village": bad},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["village"]
