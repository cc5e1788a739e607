"""Who is really at a counter: a counter is served only while an officer is there.

An officer is present at a counter while their counter page (logged in, bound to
that counter) holds a live Socket.IO connection, and for the grace after it went
away (health.presence_grace_s: a page reload or a network blip does not flap).
Logout, a revoked token and another counter's page of the same officer end it at
once. Each live page is a row of `screens` (keyed by its connection's sid, with
the server process's pid) in the database, so every server process sharing it
(server.message_queue) sees the officers connected to the others; a row left by
a killed process stops counting at once.

`serving_counters` is the one answer to "which counters are really served";
the kiosk, the hall display, the phone page, the wait estimate, capacity advice
and the supervisor's alerts all read it. No Flask here.
"""
import os
from datetime import datetime, timedelta

from .audit import stamp
from .db import immediate, process_alive

KEEP = timedelta(hours=12)  # ended rows kept this long (the "unstaffed since" of a counter)


def _here(row, at: str) -> bool:
    if row["gone_at"] is not None:
        return row["present_until"] is not None and row["present_until"] > at
    return process_alive(row["pid"])


def present(db, at: datetime) -> dict[int, dict]:
    """Counter id -> {"actor", "since"} for every counter an officer is at now (open or not)."""
    moment, found = stamp(at), {}
    for row in db.execute(
            "SELECT counter_id, officer, since, pid, gone_at, present_until FROM screens"
            " WHERE kind = 'counter' AND counter_id IS NOT NULL ORDER BY connected_at"):
        if _here(row, moment):
            earlier = found.get(row["counter_id"])
            since = min(row["since"], earlier["since"]) if earlier else row["since"]
            found[row["counter_id"]] = {"actor": row["officer"], "since": since}
    return found


def serving_counters(db, at: datetime) -> dict[int, dict]:
    """The counters really served at `at`: open, with an officer present. Counter id ->
    {"actor", "since", "paused", "services"}; a paused counter is included (its officer is
    there and comes back), so callers that need callable counters skip `paused`."""
    here = present(db, at)
    if not here:
        return {}
    services: dict[int, list[str]] = {}
    for cid, code in db.execute("SELECT counter_id, service FROM counter_services ORDER BY counter_id, position"):
        services.setdefault(cid, []).append(code)
    return {row["id"]: dict(here[row["id"]], paused=bool(row["paused"]), services=services.get(row["id"], []))
            for row in db.execute("SELECT id, paused FROM counters WHERE open = 1") if row["id"] in here}


def counter_page_joined(db, sid: str, counter_id: int, token_id: int, actor: str, session_hash: str,
                        at: datetime) -> bool:
    """An officer's counter page connected for `counter_id`: the officer is present from now,
    or since their presence that has not ended yet (a reload keeps its "since").
    False for a counter that does not exist."""
    moment = stamp(at)
    with immediate(db):
        if db.execute("SELECT 1 FROM counters WHERE id = ?", (counter_id,)).fetchone() is None:
            return False
        rows = db.execute("SELECT since, pid, gone_at, present_until FROM screens WHERE kind = 'counter'"
                          " AND counter_id = ? AND token_id = ?", (counter_id, token_id)).fetchall()
        since = min([r["since"] for r in rows if _here(r, moment)] or [moment])
        # One officer is at one counter: their pages of other counters stop counting now.
        db.execute("UPDATE screens SET gone_at = coalesce(gone_at, ?), present_until = ?"
                   " WHERE kind = 'counter' AND token_id = ? AND counter_id != ? AND gone_at IS NOT NULL"
                   " AND present_until > ?", (moment, moment, token_id, counter_id, moment))
        db.execute("DELETE FROM screens WHERE kind = 'counter' AND gone_at IS NOT NULL"
                   " AND ((counter_id = ? AND token_id = ?) OR gone_at < ?)",
                   (counter_id, token_id, stamp(at - KEEP)))
        db.execute("""INSERT OR REPLACE INTO screens (sid, pid, kind, token_id, session_hash, counter_id,
                      officer, since, connected_at) VALUES (?, ?, 'counter', ?, ?, ?, ?, ?, ?)""",
                   (sid, os.getpid(), token_id, session_hash, counter_id, actor, since, moment))
    return True


def screen_left(db, sid: str, at: datetime, grace_s: float) -> dict | None:
    """A live page's connection ended: an officer's presence lasts `grace_s` more seconds.
    Returns the row ({"kind", "counter_id", "device_id"}) or None for a page with none."""
    with immediate(db):
        return db.execute(
            "UPDATE screens SET gone_at = ?, present_until = ? WHERE sid = ? AND gone_at IS NULL"
            " RETURNING kind, counter_id, device_id",
            (stamp(at), stamp(at + timedelta(seconds=grace_s)), sid)).fetchone()


def session_ended(db, session_hash: str, at: datetime) -> bool:
    """Logout: the officer's presence ends now, without the grace. True when it was present."""
    with immediate(db):
        return db.execute(
            "UPDATE screens SET gone_at = coalesce(gone_at, ?), present_until = ?"
            " WHERE session_hash = ? AND (gone_at IS NULL OR present_until > ?)",
            (stamp(at), stamp(at), session_hash, stamp(at))).rowcount > 0


def token_revoked(db, token_id: int, at: datetime) -> None:
    """A revoked token's officer is present nowhere from now."""
    with immediate(db):
        db.execute("UPDATE screens SET gone_at = coalesce(gone_at, ?), present_until = ? WHERE token_id = ?"
                   " AND (gone_at IS NULL OR present_until > ?)",
                   (stamp(at), stamp(at), token_id, stamp(at)))


def forget_process(db, pid: int, at: datetime) -> None:
    """At start-up: rows under this pid were left by a killed process that had it."""
    with immediate(db):
        db.execute("UPDATE screens SET gone_at = ?, present_until = ? WHERE pid = ? AND gone_at IS NULL",
                   (stamp(at), stamp(at), pid))


def left_at(db, counter_id: int) -> str | None:
    """When the latest officer's presence at this counter ended (within the last KEEP)."""
    row = db.execute("SELECT max(present_until) FROM screens WHERE kind = 'counter' AND counter_id = ?"
                     " AND gone_at IS NOT NULL", (counter_id,)).fetchone()
    return row[0]
