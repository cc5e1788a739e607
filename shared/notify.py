"""Messages to citizens by SMS or Zalo, through the center's gateway; no Flask here.

A message is a row of the `outbox` table, written by `enqueue` inside the
transaction that caused it (a booking, a cancellation), so it exists exactly
when its cause was stored. The background chores (shared/chores.py, started by
shared/server.py on the server's own green threads or threads) send due rows,
never inside a request.

Each message is claimed with one UPDATE ... RETURNING that marks it 'sending'
until a lease expires: with several server processes only one sends it, and a
process killed mid-send leaves a claim that another (or the restarted one)
takes again when the lease runs out. A failure is retried with exponential
backoff up to notify.max_attempts, then left 'failed' for the supervisor to see.
The one case that can repeat a message is a kill between the gateway's answer
and the commit of 'sent'; each request carries an Idempotency-Key (the
message's id) so a gateway can drop that repeat.
"""
import json
import logging
import re
import urllib.error
import urllib.request
from datetime import datetime, timedelta

from .audit import stamp
from .config import Config, Notify
from .db import immediate

log = logging.getLogger("motcua.notify")
BACKOFF_S = 5          # first retry after 5 s, then 10, 20, ... up to BACKOFF_MAX_S
BACKOFF_MAX_S = 900
BATCH = 20
DUE = ("SELECT {columns} FROM outbox WHERE (status = 'pending' AND next_at <= :now)"
       " OR (status = 'sending' AND claimed_until <= :now)")
PLACEHOLDER = re.compile(r"\{(phone|message|id|kind)\}")


def enqueue(db, gateway: Notify, at: datetime, kind: str, booking_id: int | None, phone: str, message: str) -> None:
    """Store a message; call inside the caller's transaction. Nothing is stored with notify.kind: none."""
    if gateway.kind == "none" or not phone:
        return
    db.execute("INSERT INTO outbox (kind, booking_id, phone, message, created_at, next_at) VALUES (?, ?, ?, ?, ?, ?)",
               (kind, booking_id, phone, message, stamp(at), stamp(at)))


def claim(db, at: datetime, lease_s: float, limit: int = BATCH) -> list[dict]:
    """Take due messages (pending and due, or 'sending' with an expired lease) in one atomic statement.

    A read comes first, so an idle outbox costs no write lock on each poll."""
    now = stamp(at)
    if db.execute(DUE.format(columns="1") + " LIMIT 1", {"now": now}).fetchone() is None:
        return []
    rows = db.execute(
        """UPDATE outbox SET status = 'sending', attempts = attempts + 1, claimed_until = :until
           WHERE id IN (""" + DUE.format(columns="id") + """ ORDER BY id LIMIT :limit)
           RETURNING id, kind, phone, message, attempts""",
        {"now": now, "until": stamp(at + timedelta(seconds=lease_s)), "limit": limit}).fetchall()
    return sorted((dict(r) for r in rows), key=lambda r: r["id"])


def render(template, message: dict):
    """The gateway's body: the template with {phone}, {message}, {id}, {kind} replaced in its texts.

    One pass, not str.format: braces inside a message stay as they are."""
    if isinstance(template, str):
        return PLACEHOLDER.sub(lambda match: str(message[match.group(1)]), template)
    if isinstance(template, dict):
        return {key: render(value, message) for key, value in template.items()}
    if isinstance(template, list):
        return [render(value, message) for value in template]
    return template


def deliver(gateway: Notify, message: dict) -> None:
    """POST one message to the gateway; any exception (HTTP error, timeout) means not delivered."""
    body = json.dumps(render(gateway.body, message), ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json", "Idempotency-Key": f"motcua-notice-{message['id']}"}
    if gateway.key_header:
        headers[gateway.key_header] = gateway.key
    request = urllib.request.Request(gateway.url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=gateway.timeout_s) as reply:  # noqa: S310 - the center's own URL
        reply.read(4096)


def settle(db, message: dict, at: datetime, error: str | None, max_attempts: int) -> None:
    """Record the outcome of a send: sent (the phone number is forgotten), retried later, or failed for good."""
    if error is None:
        db.execute("UPDATE outbox SET status = 'sent', sent_at = ?, phone = '', last_error = NULL"
                   " WHERE id = ? AND status = 'sending'", (stamp(at), message["id"]))
        return
    if message["attempts"] >= max_attempts:
        db.execute("UPDATE outbox SET status = 'failed', last_error = ? WHERE id = ? AND status = 'sending'",
                   (error[:300], message["id"]))
        return
    wait = min(BACKOFF_MAX_S, BACKOFF_S * 2 ** (message["attempts"] - 1))
    db.execute("UPDATE outbox SET status = 'pending', next_at = ?, last_error = ? WHERE id = ? AND status = 'sending'",
               (stamp(at + timedelta(seconds=wait)), error[:300], message["id"]))


def send_due(db, config: Config, at: datetime, clock=None) -> int:
    """Claim and send what is due now; returns how many were sent. `clock` stamps outcomes (default: `at`)."""
    gateway = config.notify
    sent = 0
    for message in claim(db, at, lease_s=2 * gateway.timeout_s + 5):
        try:
            deliver(gateway, message)
            error = None
        except (OSError, urllib.error.URLError, ValueError) as exc:  # refused, timed out, HTTP 4xx/5xx
            error = f"{type(exc).__name__}: {exc}"
            log.warning("message %s not delivered (attempt %s): %s", message["id"], message["attempts"], error)
        settle(db, message, clock() if clock else at, error, gateway.max_attempts)
        sent += error is None
    return sent


def summary(db) -> dict:
    """Counts per status and the latest failures, for the supervisor's dashboard."""
    counts = dict(db.execute("SELECT status, count(*) FROM outbox GROUP BY status").fetchall())
    failed = [dict(r) for r in db.execute(
        "SELECT id, kind, attempts, created_at, last_error FROM outbox WHERE status = 'failed'"
        " OR (status = 'pending' AND attempts > 0) ORDER BY id DESC LIMIT 20")]
    return {"pending": counts.get("pending", 0) + counts.get("sending", 0), "sent": counts.get("sent", 0),
            "failed": counts.get("failed", 0), "problems": failed}


def retry_failed(db, at: datetime) -> int:
    """A supervisor fixed the gateway: failed messages go out again."""
    with immediate(db):
        return db.execute("UPDATE outbox SET status = 'pending', attempts = 0, next_at = ? WHERE status = 'failed'",
                          (stamp(at),)).rowcount
