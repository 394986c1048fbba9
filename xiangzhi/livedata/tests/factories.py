"""Change requests made through the real services, and document photos."""

import datetime
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from xiangzhi.registry.tests.factories import make_id

NEW_PHONE = "13566667777"
NEW_ID = make_id(datetime.date(1970, 3, 5), "M", 9)


def photo(fmt: str = "PNG", name: str = "id.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buffer, fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")


def member(household, name):
    return household.residents.unrestricted("test set-up").get(name=name)
