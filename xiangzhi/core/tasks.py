"""The core's own scheduled jobs."""

import datetime

from .background import periodic
from .idempotency import idempotency_purge


@periodic(every=datetime.timedelta(hours=1))
def purge_idempotency_keys() -> int:
    """Forget idempotency keys older than the retention (XIANGZHI_IDEMPOTENCY_RETENTION)."""
    return idempotency_purge()
