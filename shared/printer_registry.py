"""The printer's health and the connected printer agents, shared by every server process.

Kept in the database, so that with server.message_queue every process shows the
same fault and can tell whether some process holds a kiosk's printer agent.
"""
import json
import os

from .db import immediate, process_alive


def health(db, kind: str) -> dict:
    """{"kind", "ok", "error", "at"}: the last print result for this printer kind."""
    row = db.execute("SELECT value FROM settings WHERE key = 'printer_health'").fetchone()
    stored = json.loads(row[0]) if row else {}
    if stored.get("kind") != kind:  # the config changed printers since: nothing known yet
        stored = {}
    return {"kind": kind, "ok": stored.get("ok", True), "error": stored.get("error"), "at": stored.get("at")}


def record_health(db, kind: str, ok: bool, error: str | None, at: str) -> bool:
    """Store a print result; True when the printer went from working to faulty or back."""
    with immediate(db):
        was_ok = health(db, kind)["ok"]
        db.execute("INSERT INTO settings (key, value) VALUES ('printer_health', ?) "
                   "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                   (json.dumps({"kind": kind, "ok": ok, "error": error, "at": at}, ensure_ascii=False),))
    return was_ok != ok


def agent_joined(db, sid: str, kiosk: str, device_id: int, at: str) -> None:
    with immediate(db):
        db.execute("INSERT OR REPLACE INTO printer_agents (sid, kiosk, pid, connected_at, device_id)"
                   " VALUES (?, ?, ?, ?, ?)", (sid, kiosk, os.getpid(), at, device_id))


def revoked_agents(db) -> list[str]:
    """Printer agents connected to this process whose kiosk credential was revoked since."""
    return [row[0] for row in db.execute(
        "SELECT a.sid FROM printer_agents a LEFT JOIN devices d ON d.id = a.device_id"
        " WHERE a.pid = ? AND (d.id IS NULL OR d.revoked_at IS NOT NULL OR d.hash IS NULL)", (os.getpid(),))]


def agent_left(db, sid: str) -> None:
    with immediate(db):
        db.execute("DELETE FROM printer_agents WHERE sid = ?", (sid,))


def agent_kiosk(db, sid: str) -> str | None:
    """The kiosk a printer agent connected to this process prints for (None: not an agent)."""
    row = db.execute("SELECT kiosk FROM printer_agents WHERE sid = ? AND pid = ?", (sid, os.getpid())).fetchone()
    return row[0] if row else None


def has_agent(db, kiosk: str) -> bool:
    """Whether a live server process holds a printer agent for `kiosk`."""
    pids = [row[0] for row in db.execute("SELECT pid FROM printer_agents WHERE kiosk = ?", (kiosk,))]
    return any(process_alive(pid) for pid in pids)


def forget_agents_of(db, pid: int) -> None:
    """At start-up: agents recorded under this pid belong to a process that is gone."""
    with immediate(db):
        db.execute("DELETE FROM printer_agents WHERE pid = ?", (pid,))
