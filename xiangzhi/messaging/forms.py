import re

from django import forms
from django.utils.translation import gettext_lazy as _

_MOBILE = re.compile(r"1[3-9][0-9]{9}")


class TestMessageForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )

    def clean_phone(self):
        phone = re.sub(r"[\s-]", "", self.cleaned_data["phone"])
        if not _MOBILE.fullmatch(phone):
            raise forms.ValidationError(_("Enter an 11-digit mobile number."))
        return phone
