"""Password validators whose messages reach the user in Chinese."""

from django.contrib.auth import password_validation
from django.utils.translation import ngettext


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django 5.2 reworded the too-short message ("%d") and its zh_Hans catalogue only translates the previous
    wording ("%(min_length)d"), so the stock validator answers Chinese users in English. Same check, the
    translated wording."""

    def get_error_message(self):
        return ngettext(
            "This password is too short. It must contain at least %(min_length)d character.",
            "This password is too short. It must contain at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}
