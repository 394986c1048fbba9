"""Form pieces every app's forms and filtersets share."""

from django import forms


class DateInput(forms.DateInput):
    """An <input type=date>. Its value must be an ISO date (YYYY-MM-DD) whatever the page language: the browser
    shows a localized zh-Hans date (2026/10/28) as empty, and saving the form then erases the date."""

    input_type = "date"

    def __init__(self, attrs=None, format="%Y-%m-%d"):
        super().__init__(attrs, format=format)
