"""One-time enrolment links for kiosks and rating tablets, built in one place for the
`motcua device invite` command, the links `serve` prints and the supervisor's devices page."""
from datetime import datetime
from zoneinfo import ZoneInfo

from . import auth
from .config import Config
from .db import connect


def enrolment_url(base: str, code: str) -> str:
    """The page a device opens once to enrol (counter/devices.py serves /enroll/<code>)."""
    return f"{base}/enroll/{code}"


def invite_link(config: Config, db, kind: str, name: str | None, counter: int | None, at: datetime,
                base: str | None = None) -> str:
    """A one-time enrolment link for a device, at server.public_url (or `base`)."""
    if name is None and counter is not None:
        row = db.execute("SELECT name FROM counters WHERE id = ?", (counter,)).fetchone()
        name = row[0] if row else ""
    default = {"kiosk": "Máy lấy số", "display": "Màn hình sảnh"}.get(kind, "")
    code = auth.invite_device(db, kind, name if name is not None else default, counter, at)
    return enrolment_url(config.server.public_url or base or f"http://127.0.0.1:{config.server.port}",
                         code)


def first_enrolment_links(config: Config, base: str) -> list[str]:
    """Until a kiosk is enrolled (and, separately, the first counter's rating tablet),
    `serve` prints a fresh one-time link for it at every start, so that a newcomer gets a
    working kiosk and rating tablet from what `make run` prints; the link it printed at the
    previous start, unused, is dropped rather than left on /devices."""
    db = connect(config.database.path)
    try:
        at = datetime.now(ZoneInfo(config.center.timezone))
        links = []
        if not auth.any_enrolled(db, "kiosk"):
            auth.drop_unused_invitations(db, "kiosk", FIRST_KIOSK, None)
            links.append(f"  {'kiosk':<11}{invite_link(config, db, 'kiosk', FIRST_KIOSK, None, at, base)}")
        first = db.execute("SELECT id, name FROM counters ORDER BY position, id LIMIT 1").fetchone()
        if first is not None and not auth.any_enrolled(db, "rating", first["id"]):
            auth.drop_unused_invitations(db, "rating", first["name"], first["id"])
            links.append(f"  {'rating':<11}{invite_link(config, db, 'rating', None, first['id'], at, base)}")
        if not links:
            return []
        return ["  one-time links: open each on its device and answer its question (valid 24 h;"
                " more: motcua device invite):", *links]
    finally:
        db.conn.close()


FIRST_KIOSK = "Máy lấy số 1"
