"""Officer and supervisor tokens: random secrets of which only a hash is stored.

Tokens are long random strings, so one SHA-256 is enough; a slow password
hash would only slow every counter request down.
"""
import hashlib
import secrets
from datetime import datetime

from .db import immediate

ROLES = ("officer", "supervisor")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(db, role: str, name: str, at: datetime) -> str:
    """Store a new token's hash and return the token itself (shown only once)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    token = secrets.token_urlsafe(18)
    with immediate(db):
        db.execute(
            "INSERT INTO tokens (role, name, hash, created_at) VALUES (?, ?, ?, ?)",
            (role, name, _hash(token), at.isoformat(timespec="seconds")),
        )
    return token


def identify(db, token: str | None) -> dict | None:
    """Who holds this token: {"id", "role", "name"}, or None for a bad token."""
    if not token:
        return None
    row = db.execute("SELECT id, role, name FROM tokens WHERE hash = ?", (_hash(token),)).fetchone()
    return dict(row) if row else None


def allowed(who: dict | None, role: str) -> bool:
    """Supervisors may do everything officers may."""
    return who is not None and (who["role"] == role or who["role"] == "supervisor")


def list_tokens(db) -> list[dict]:
    """Who holds a token (never the token itself: only its hash is stored)."""
    return [dict(row) for row in db.execute("SELECT id, role, name, created_at FROM tokens ORDER BY id")]


def revoke_token(db, token_id: int) -> bool:
    """An officer leaves: their token stops working at once, sessions made with it too."""
    with immediate(db):
        return db.execute("DELETE FROM tokens WHERE id = ?", (token_id,)).rowcount == 1
