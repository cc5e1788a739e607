"""Steps the domain tests share: issue a ticket, call the next one, read the audit rows."""
from shared import queue
from shared.config import Queue


STRICT = Queue()


def issue(db, clock, service="HT", priority=False):
    return queue.issue_ticket(db, service, priority, clock.tick())


def call(db, clock, counter_id=1, policy=STRICT):
    ticket, _moved = queue.call_next(db, counter_id, clock.tick(), policy)
    return ticket


def events(db, kind):
    return db.execute("SELECT * FROM audit WHERE kind = ? ORDER BY id", (kind,)).fetchall()
