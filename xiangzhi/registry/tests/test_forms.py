"""Registry forms as the browser gets them."""

import datetime

import pytest
from django.utils import translation

from xiangzhi.core.filtersets import AuditEntryFilter
from xiangzhi.registry.forms import ResidentForm

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_date_inputs_render_iso_dates_in_every_language(alice, language):
    # <input type=date> takes only YYYY-MM-DD: a localized 2026/10/28 shows empty and saving erases the date
    with translation.override(language):
        form = ResidentForm(user=alice, editing=True, initial={"birth_date": datetime.date(2026, 10, 28)})
        audit = AuditEntryFilter().form
        assert 'type="date"' in str(form["birth_date"])
        assert 'value="2026-10-28"' in str(form["birth_date"])
        for name in ("since", "until"):
            html = audit.fields[name].widget.render(name, datetime.date(2026, 10, 1))
            assert 'type="date"' in html and 'value="2026-10-01"' in html
