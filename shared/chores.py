"""The server's background chores: send due messages to citizens, queue booking
reminders and "sắp đến lượt" messages, erase expired personal data.

Started by shared/server.py on the server's own green threads (or threads), never
inside a request; with several server processes each claims its own outbox rows.
"""
import logging
import sqlite3
from datetime import datetime
from zoneinfo import ZoneInfo

from . import booking, notify
from .config import Config
from .db import connect

log = logging.getLogger("motcua.chores")


def work_forever(config: Config, sleep, poll_s: float = 1.0, chores_s: float = 30.0) -> None:
    """Send due messages every `poll_s`; every `chores_s`, queue booking reminders and
    "sắp đến lượt" messages and erase expired personal data.

    `sleep` is the server's own (socketio.sleep), so under eventlet this is a green
    thread and its database waits are already off the event loop. Never ends: a
    failure is logged and the loop goes on."""
    tz = ZoneInfo(config.center.timezone)
    db = connect(config.database.path)
    next_chores = 0.0
    waited = 0.0
    while True:
        try:
            now = datetime.now(tz)
            if config.booking.enabled and waited >= next_chores:
                booking.erase_expired(db, config, now)
                if config.notify.kind != "none":
                    booking.queue_reminders(db, config, now)
                next_chores = waited + chores_s
            if config.booking.enabled and config.notify.kind != "none":
                booking.queue_near_turn(db, config, now)
            if config.notify.kind != "none":
                notify.send_due(db, config, now, clock=lambda: datetime.now(tz))
        except sqlite3.Error:
            log.exception("background chores: database error; trying again")
        except Exception:  # noqa: BLE001 - the worker must outlive any one failure
            log.exception("background chores failed; trying again")
        sleep(poll_s)
        waited += poll_s
