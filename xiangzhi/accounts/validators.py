"""Password validators whose messages reach the user in Chinese."""

from django.contrib.auth import password_validation
from django.utils.translation import gettext_noop, ngettext

# Django's zh_Hans catalogue says 你 where the app says 您; our catalogue, read first, gives these Django strings
# users see (the password fields' help and errors) in the app's register.
gettext_noop("Your password can’t be too similar to your other personal information.")
gettext_noop("Your password can’t be a commonly used password.")
gettext_noop("Your password can’t be entirely numeric.")
gettext_noop("Your old password was entered incorrectly. Please enter it again.")


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

    def get_help_text(self):
        # Django's wording, listed here so that our catalogue gives it with 您.
        return ngettext(
            "Your password must contain at least %(min_length)d character.",
            "Your password must contain at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}
