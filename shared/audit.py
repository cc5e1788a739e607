"""The audit trail: one row per thing that happened, written inside the transaction
that made it happen, so the day can be replayed from the `audit` table."""
import json
from datetime import datetime


def stamp(at: datetime) -> str:
    return at.isoformat(timespec="milliseconds")


def day_of(at: datetime) -> str:
    return at.strftime("%Y-%m-%d")


def log_event(db, at: datetime, kind: str, ticket=None, counter_id=None, service=None, actor=None, **data) -> None:
    """Record one thing that happened (a call, a counter opened, a printer fault); call it
    inside the transaction of the change it records."""
    db.execute(
        "INSERT INTO audit (at, kind, ticket_id, counter_id, service, actor, data)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (stamp(at), kind, ticket, counter_id, service, actor,
         json.dumps(data, ensure_ascii=False) if data else None),
    )
