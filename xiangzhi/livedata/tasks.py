"""The clean-up job: document photos are deleted a set time after their request is decided."""

import datetime

from xiangzhi.core.background import periodic

from . import services


@periodic(every=datetime.timedelta(hours=6))
def change_photos_purge() -> int:
    deleted = 0
    for request_id in services.photos_due().values_list("pk", flat=True):
        deleted += services.change_request_photo_delete(request_id=request_id)
    return deleted
