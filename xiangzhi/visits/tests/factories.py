"""Photos as a phone's camera sends them: a JPEG with the camera's EXIF, GPS position included."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

GPS_IFD = 0x8825


def camera_photo(name: str = "IMG_0001.jpg", size: tuple[int, int] = (64, 48)) -> SimpleUploadedFile:
    image = Image.new("RGB", size, "green")
    exif = Image.Exif()
    exif[0x010F] = "Xiaomi"  # Make
    exif[0x0112] = 1  # Orientation
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (29.0, 40.0, 12.5), 3: "E", 4: (105.0, 43.0, 1.0)})
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")
