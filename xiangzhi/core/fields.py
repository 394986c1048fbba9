"""Model fields that keep personal data encrypted in the database and plain in Python."""

from django.db import models

from . import crypto


class EncryptedCharField(models.TextField):
    """Stores AES-GCM ciphertext; the Python value is the plaintext string (or None)."""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(value)

    def get_lookup(self, lookup_name):
        # Ciphertext is randomised: any comparison but IS NULL would silently match nothing.
        if lookup_name not in ("isnull",):
            raise TypeError(f"encrypted field does not support '{lookup_name}'; use its blind index")
        return super().get_lookup(lookup_name)
