"""Who may do what: staff tokens, their login sessions, and enrolled devices.

Every secret (a staff token, a session, a device's credential, a one-time
enrolment code) is a long random string of which only a SHA-256 is stored, so a
copy of the database (a backup) lets nobody in. Long random secrets need no slow
password hash, which would only slow every counter request down.

- Staff (officers, supervisors) hold tokens made with `motcua token create`.
  A browser exchanges one for a server-side session: logout and revoking the
  token delete it, so an old cookie replayed later is worth nothing.
- Devices (the kiosks that issue tickets, the tablets that take ratings) are
  trusted only once a supervisor has invited them: the device that opens the
  one-time enrolment link gets a credential of its own, which the supervisor
  can revoke. Phones on the hall network have none.
"""
import hashlib
import secrets
from datetime import datetime, timedelta

from . import presence
from .db import immediate
from .text import plain

ROLES = ("officer", "supervisor")
DEVICE_KINDS = ("kiosk", "rating", "display")
SESSION_IDLE = timedelta(days=14)  # an officer's PC stays logged in over a holiday, not forever
SESSION_TOUCH = timedelta(hours=1)  # how stale `seen_at` may get before a request rewrites it
INVITE_VALID = timedelta(hours=24)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _stamp(at: datetime) -> str:
    return at.isoformat(timespec="seconds")


def create_token(db, role: str, name: str, at: datetime) -> str:
    """Store a new token's hash and return the token itself (shown only once)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    name = plain(name, 80, least=0)
    if name is None:
        raise ValueError("name must be at most 80 visible characters")
    token = secrets.token_urlsafe(18)
    with immediate(db):
        db.execute(
            "INSERT INTO tokens (role, name, hash, created_at) VALUES (?, ?, ?, ?)",
            (role, name, _hash(token), _stamp(at)),
        )
    return token


def identify(db, token: str | None) -> dict | None:
    """Who holds this staff token: {"id", "role", "name"}, or None for a bad one."""
    if not token:
        return None
    row = db.execute(
        "SELECT id, role, name FROM tokens WHERE hash = ? AND revoked_at IS NULL", (_hash(token),)
    ).fetchone()
    return dict(row) if row else None


def allowed(who: dict | None, role: str) -> bool:
    """Supervisors may do everything officers may."""
    return who is not None and (who["role"] == role or who["role"] == "supervisor")


def list_tokens(db) -> list[dict]:
    """Who holds a working token (never the token itself: only its hash is stored)."""
    return [dict(row) for row in db.execute(
        "SELECT id, role, name, created_at FROM tokens WHERE revoked_at IS NULL ORDER BY id")]


def revoke_token(db, token_id: int, at: datetime) -> bool:
    """An officer leaves: their token and every session made with it stop at once.

    The row stays (its id is never given to another token) with a hash that no
    token can have."""
    with immediate(db):
        db.execute("DELETE FROM sessions WHERE token_id = ?", (token_id,))
        revoked = db.execute(
            "UPDATE tokens SET revoked_at = ?, hash = 'revoked:' || id WHERE id = ? AND revoked_at IS NULL",
            (_stamp(at), token_id),
        ).rowcount == 1
    presence.token_revoked(db, token_id, at)
    return revoked


def open_session(db, token_id: int, at: datetime) -> str:
    """A login: returns the session secret for the cookie (only its hash is kept)."""
    secret = secrets.token_urlsafe(32)
    with immediate(db):
        db.execute("DELETE FROM sessions WHERE seen_at < ?", (_stamp(at - SESSION_IDLE),))
        db.execute("INSERT INTO sessions (hash, token_id, created_at, seen_at) VALUES (?, ?, ?, ?)",
                   (_hash(secret), token_id, _stamp(at), _stamp(at)))
    return secret


def session_holder(db, secret: str | None, at: datetime) -> dict | None:
    """Who a session belongs to, or None when it was closed, revoked or left idle too long."""
    if not isinstance(secret, str) or not secret:
        return None
    row = db.execute(
        """SELECT t.id, t.role, t.name, s.seen_at FROM sessions s JOIN tokens t ON t.id = s.token_id
           WHERE s.hash = ? AND t.revoked_at IS NULL""", (_hash(secret),)
    ).fetchone()
    if row is None or row["seen_at"] < _stamp(at - SESSION_IDLE):
        return None
    if row["seen_at"] < _stamp(at - SESSION_TOUCH):
        with immediate(db):
            db.execute("UPDATE sessions SET seen_at = ? WHERE hash = ?", (_stamp(at), _hash(secret)))
    return {"id": row["id"], "role": row["role"], "name": row["name"]}


def session_key(secret: str) -> str:
    """What the database keeps of a session's secret (presence rows name it, to end at logout)."""
    return _hash(secret)


def close_session(db, secret: str | None, at: datetime | None = None) -> bool:
    """Logout: the session is gone from the server, whatever the browser keeps, and the
    officer's presence at a counter ends now (given `at`). True when that ended a presence."""
    if not isinstance(secret, str) or not secret:
        return False
    with immediate(db):
        db.execute("DELETE FROM sessions WHERE hash = ?", (_hash(secret),))
    return at is not None and presence.session_ended(db, _hash(secret), at)


def invite_device(db, kind: str, name: str, counter_id: int | None, at: datetime) -> str:
    """A one-time enrolment code for a kiosk, rating tablet or hall display, valid for a day.

    A rating tablet belongs to one counter: it rates only the citizens that
    counter served, so a tablet cannot speak for another officer. A display with a
    counter is that counter's counter-top screen; without one, a hall display."""
    if kind not in DEVICE_KINDS:
        raise ValueError(f"kind must be one of {', '.join(DEVICE_KINDS)}")
    if kind == "rating" and counter_id is None or kind == "kiosk" and counter_id is not None:
        raise ValueError("a rating tablet needs a counter; a kiosk has none")
    name = plain(name, 40)
    if name is None:
        raise ValueError("name must be 1 to 40 visible characters")
    code = secrets.token_urlsafe(18)
    with immediate(db):
        if counter_id is not None and db.execute(
                "SELECT 1 FROM counters WHERE id = ?", (counter_id,)).fetchone() is None:
            raise ValueError(f"no counter with id {counter_id}")
        db.execute(
            "DELETE FROM devices WHERE hash IS NULL AND revoked_at IS NULL AND invite_until < ?",
            (_stamp(at),),
        )
        db.execute(
            """INSERT INTO devices (kind, name, counter_id, invite_hash, invite_until, created_at)
               VALUES (?, ?, ?, ?, ?, ?)""",
            (kind, name, counter_id, _hash(code), _stamp(at + INVITE_VALID), _stamp(at)),
        )
    return code


def invitation(db, code, at: datetime) -> dict | None:
    """What an unused, unexpired enrolment code would enrol ({"kind", "name", "counter_id"}),
    without using it: the page a link opens asks first."""
    if not isinstance(code, str) or not code:
        return None
    row = db.execute("SELECT kind, name, counter_id FROM devices WHERE invite_hash = ? AND invite_until >= ?"
                     " AND revoked_at IS NULL", (_hash(code), _stamp(at))).fetchone()
    return dict(row) if row else None


def enrol_device(db, code: str, at: datetime) -> tuple[dict, str] | None:
    """Use an enrolment code (once): returns the device and its new secret, or None."""
    if not isinstance(code, str) or not code:
        return None
    secret = secrets.token_urlsafe(32)
    with immediate(db):
        row = db.execute(
            """UPDATE devices SET hash = ?, invite_hash = NULL, invite_until = NULL, enrolled_at = ?
               WHERE invite_hash = ? AND invite_until >= ? AND revoked_at IS NULL
               RETURNING id, kind, name, counter_id""",
            (_hash(secret), _stamp(at), _hash(code), _stamp(at)),
        ).fetchone()
    return (dict(row), secret) if row else None


def identify_device(db, secret: str | None) -> dict | None:
    """The enrolled device holding this credential: {"id", "kind", "name", "counter_id"}."""
    if not isinstance(secret, str) or not secret:
        return None
    row = db.execute(
        "SELECT id, kind, name, counter_id FROM devices WHERE hash = ? AND revoked_at IS NULL",
        (_hash(secret),),
    ).fetchone()
    return dict(row) if row else None


def any_enrolled(db, kind: str, counter_id: int | None = None) -> bool:
    """Whether a device of this kind (a rating tablet: of this counter) is enrolled."""
    return db.execute("SELECT 1 FROM devices WHERE kind = ? AND hash IS NOT NULL AND revoked_at IS NULL"
                      " AND (? IS NULL OR counter_id = ?)", (kind, counter_id, counter_id)).fetchone() is not None


def drop_unused_invitations(db, kind: str, name: str, counter_id: int | None) -> None:
    """Forget the unused invitations of one device, before a fresh one replaces them (`serve`
    prints new links at each start): /devices does not fill up with dead invitations."""
    with immediate(db):
        db.execute("DELETE FROM devices WHERE hash IS NULL AND revoked_at IS NULL AND kind = ? AND name = ?"
                   " AND counter_id IS ?", (kind, name, counter_id))


def list_devices(db) -> list[dict]:
    """Devices enrolled or invited (an invitation shows as not yet enrolled)."""
    return [dict(row) for row in db.execute(
        """SELECT id, kind, name, counter_id, created_at, enrolled_at, invite_until FROM devices
           WHERE revoked_at IS NULL ORDER BY id""")]


def revoke_device(db, device_id: int, at: datetime) -> bool:
    """A kiosk is stolen or replaced: its credential (or pending invitation) stops at once."""
    with immediate(db):
        return db.execute(
            """UPDATE devices SET revoked_at = ?, hash = NULL, invite_hash = NULL
               WHERE id = ? AND revoked_at IS NULL""", (_stamp(at), device_id),
        ).rowcount == 1
