"""How long a citizen may wait, from today's service times. No Flask here."""
from datetime import datetime

from . import presence
from .audit import day_of


def wait_estimate(db, service: str, ahead: int, at: datetime, min_samples: int = 3) -> dict:
    """How long a citizen with `ahead` people before them may wait, from today's service times.

    Uses the mean service time (called to finished) of today's finished tickets of the
    field, shared among the open, unpaused counters that serve it with an officer present
    (shared/presence.py). Returns {"minutes": int or None, "samples": n, "counters": k,
    "reason": None or text code}: minutes is None ("not_enough_data", "no_counter", or
    "no_officer" when such counters are open but nobody is at them) when an honest guess
    is impossible.
    """
    rows = db.execute(
        "SELECT called_at, finished_at FROM tickets WHERE day = ? AND service = ? AND status = 'done'"
        " AND called_at IS NOT NULL AND finished_at IS NOT NULL",
        (day_of(at), service),
    ).fetchall()
    durations = []
    for row in rows:
        seconds = (datetime.fromisoformat(row["finished_at"]) - datetime.fromisoformat(row["called_at"])).total_seconds()
        if 0 < seconds < 4 * 3600:
            durations.append(seconds)
    serving = sum(1 for c in presence.serving_counters(db, at).values()
                  if not c["paused"] and service in c["services"])
    result = {"minutes": None, "samples": len(durations), "counters": serving, "reason": None}
    if serving == 0:
        result["reason"] = "no_officer" if db.execute(
            "SELECT 1 FROM counters c JOIN counter_services s ON s.counter_id = c.id"
            " WHERE s.service = ? AND c.open = 1 AND c.paused = 0", (service,)).fetchone() else "no_counter"
    elif ahead == 0:
        result["minutes"] = 0
    elif len(durations) < min_samples:
        result["reason"] = "not_enough_data"
    else:
        mean = sum(durations) / len(durations)
        result["minutes"] = max(1, round(ahead * mean / serving / 60))
    return result
