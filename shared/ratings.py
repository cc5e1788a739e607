"""Citizen satisfaction ratings at the counter; no Flask here.

Only the tablet enrolled for a counter may rate there (checked by the
blueprint), and the rules narrow it further: a rating is accepted only for the
ticket the counter finished most recently (its latest `finished` event), only while that
ticket is done, only within `reports.rating_window_s` of the finish, only until
the counter calls its next citizen (from then on the person facing the tablet is
someone else), and only once (UNIQUE ticket_id).

So that the citizen who rates is the one who was served, a counter whose tablet
is present holds its next call for up to `reports.rating_hold_s` after the
finish, or until the rating arrives (`hold_in`, docs/reports.md): `call-next`
answers 409 `rating_hold` meanwhile, unless the officer asks to call at once.
"""
from datetime import datetime, timedelta

from . import hall
from .audit import log_event, stamp
from .config import Reports
from .db import immediate
from .errors import Conflict, NotFound, QueueError
from .queue import as_ticket_id


def _latest_finished(db, counter_id: int):
    """The counter's most recently finished ticket, with its finish time and whether the
    counter has called anyone since, or None."""
    return db.execute(
        """SELECT t.id, t.number, t.service, t.status, t.day, t.finished_at, s.name AS service_name,
                  e.at AS finished_event_at, r.id AS rating_id,
                  EXISTS (SELECT 1 FROM audit c WHERE c.id > e.id AND c.counter_id = e.counter_id
                          AND c.kind = 'called') AS called_since
           FROM audit e JOIN tickets t ON t.id = e.ticket_id
           JOIN services s ON s.code = t.service
           LEFT JOIN ratings r ON r.ticket_id = t.id
           WHERE e.id = (SELECT max(id) FROM audit WHERE kind = 'finished' AND counter_id = ?)""",
        (counter_id,),
    ).fetchone()


def _open_for_rating(row, at: datetime, window_s: int) -> bool:
    """Done, not rated, nobody called at the counter since, and within the window."""
    return (row is not None and row["status"] == "done" and row["rating_id"] is None
            and not row["called_since"] and 0 < _seconds_left(row, at, window_s) <= window_s)


TABLET_FRESH = timedelta(seconds=12)   # the tablet asks every 3 s: 12 s of silence means off or asleep
TABLET_REWRITE = timedelta(seconds=4)  # how stale `seen_at` may get before a request writes it again


def tablet_seen(db, counter_id: int, at: datetime) -> None:
    """The counter's enrolled tablet asked just now. Written at most once per
    TABLET_REWRITE, however often it asks (every 3 s and on every `state` push)."""
    row = db.execute("SELECT seen_at FROM rating_tablets WHERE counter_id = ?", (counter_id,)).fetchone()
    if row is not None and at - TABLET_REWRITE < datetime.fromisoformat(row[0]) <= at:
        return
    with immediate(db):
        db.execute("INSERT INTO rating_tablets (counter_id, seen_at) VALUES (?, ?)"
                   " ON CONFLICT (counter_id) DO UPDATE SET seen_at = excluded.seen_at", (counter_id, stamp(at)))


def tablet_present(db, counter_id: int, at: datetime) -> bool:
    """Whether the counter's tablet is on: one not heard from lately is off, asleep or
    unplugged, and its counter does not hold calls for it."""
    row = db.execute("SELECT seen_at FROM rating_tablets WHERE counter_id = ?", (counter_id,)).fetchone()
    return row is not None and at - TABLET_FRESH < datetime.fromisoformat(row[0]) <= at


def _seconds_left(row, at: datetime, window_s: int) -> float:
    return window_s - (at - datetime.fromisoformat(row["finished_event_at"])).total_seconds()


def scale(reports: Reports) -> list[dict]:
    return [{"score": i, "label": label} for i, label in enumerate(reports.rating_scale, 1)]


def holding(db, counter_id: int, at: datetime, reports: Reports) -> dict | None:
    """Whether the counter must hold its next call for a rating: {"hold_in", "ticket"}, or
    None to call at once. The server's rule (queue.call_next asks it), not the page's."""
    answer = rateable(db, counter_id, at, reports)
    return {"hold_in": answer["hold_in"], "ticket": answer["ticket"]} if answer["hold_in"] > 0 else None


def rateable(db, counter_id: int, at: datetime, reports: Reports) -> dict:
    """What the rating screen of a counter may ask about now, and how long the counter holds.

    `ticket` is null when there is nothing to rate: no finish yet, already
    rated, the counter has called someone since, or the window has passed.
    `expires_in` (seconds) lets the screen go back to rest on its own without
    asking the server again. `tablet` says whether the counter's rating tablet
    is present; `hold_in` is how many seconds the counter should still wait
    before calling the next citizen (0: call at once).
    """
    counter = hall.counter(db, counter_id)
    tablet = tablet_present(db, counter_id, at)
    answer = {"counter": {"id": counter["id"], "name": counter["name"]}, "ticket": None,
              "expires_in": 0, "scale": scale(reports), "tablet": tablet, "hold_in": 0}
    window = reports.rating_window_s
    row = _latest_finished(db, counter_id)
    if not _open_for_rating(row, at, window):
        return answer
    left = _seconds_left(row, at, window)
    answer["ticket"] = {"id": row["id"], "number": row["number"], "service": row["service"],
                        "service_name": row["service_name"], "finished_at": row["finished_at"]}
    answer["expires_in"] = round(left, 1)
    if tablet:
        answer["hold_in"] = round(max(0.0, reports.rating_hold_s - (window - left)), 1)
    return answer


def rate(db, counter_id: int, ticket_id, score, at: datetime, reports: Reports, actor="public") -> dict:
    """Store one rating and its audit event in one transaction; the rules are in the module doc."""
    ticket_id = as_ticket_id(ticket_id)
    labels = reports.rating_scale
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= len(labels):
        raise QueueError(f"score phải là số từ 1 đến {len(labels)}.", "invalid_score")
    with immediate(db):
        hall.counter(db, counter_id)  # 404 for an unknown counter
        ticket = db.execute("SELECT id, status FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
        if ticket is None:
            raise NotFound("Không tìm thấy số thứ tự này.", "ticket_not_found")
        if db.execute("SELECT 1 FROM ratings WHERE ticket_id = ?", (ticket_id,)).fetchone():
            raise Conflict("Số thứ tự này đã được đánh giá.", "already_rated")
        row = _latest_finished(db, counter_id)
        if row is None or row["id"] != ticket_id or not _open_for_rating(row, at, reports.rating_window_s):
            raise Conflict("Không có lượt phục vụ nào vừa xong để đánh giá.", "not_rateable")
        label, satisfied = labels[score - 1], score <= reports.rating_satisfied
        rating_id = db.execute(
            "INSERT INTO ratings (ticket_id, counter_id, day, score, label, satisfied, at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (ticket_id, counter_id, row["day"], score, label, int(satisfied), stamp(at)),
        ).lastrowid
        log_event(db, at, "rated", ticket=ticket_id, counter_id=counter_id, service=row["service"],
                        actor=actor, score=score, label=label)
    return {"id": rating_id, "ticket": ticket_id, "score": score, "label": label, "satisfied": satisfied}
