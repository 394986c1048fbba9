from django import forms
from django.utils.translation import gettext_lazy as _


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Your mobile number"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"inputmode": "tel", "autocomplete": "tel", "placeholder": "1xx xxxx xxxx"}
        ),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("The 6-digit code in the text message"),
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "class": "code",
                "autofocus": True,
            }
        ),
    )


class PinForm(forms.Form):
    pin = forms.CharField(
        label=_("The family's 6-digit PIN"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "class": "code", "autofocus": True}
        ),
    )
