"""What the SL 651 listener does with a gauge's report (`XIANGZHI_SL651_HANDLER` picks one)."""

import datetime as dt
import logging

from .codec import Observation

logger = logging.getLogger("xiangzhi.sl651")


def log_observations(
    station: str, function: int, observed_at: dt.datetime | None, observations: list[Observation]
) -> None:
    """Only logs: for running the listener before any gauge is registered as a point."""
    logger.info("sl651 %s %02XH at %s: %s", station, function, observed_at, observations)
