"""Counter administration: add a counter, open or close it, rename it, change its fields,
live; each change with its audit row in one transaction. No Flask here."""
from datetime import datetime

from .audit import log_event
from .db import immediate
from .errors import Conflict, QueueError
from .queue import counter_row, current_ticket_id


def _check_services(db, services) -> list[str]:
    if not isinstance(services, list) or not all(isinstance(s, str) for s in services):
        raise QueueError("Danh sách lĩnh vực không hợp lệ.", "invalid_services")
    known = {row[0] for row in db.execute("SELECT code FROM services")}
    unknown = [s for s in services if s not in known]
    if unknown:
        raise QueueError(f"Lĩnh vực không tồn tại: {unknown[0]}.", "unknown_service")
    return list(dict.fromkeys(services))


def _set_counter_services(db, counter_id: int, services: list[str]) -> None:
    db.execute("DELETE FROM counter_services WHERE counter_id = ?", (counter_id,))
    db.conn.executemany(
        "INSERT INTO counter_services (counter_id, service, position) VALUES (?, ?, ?)",
        [(counter_id, code, i) for i, code in enumerate(services)],
    )


def _check_name(name) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > 40:
        raise QueueError("Tên quầy phải có từ 1 đến 40 ký tự.", "invalid_name")
    return " ".join(name.split())


def _check_name_free(db, name: str, counter_id: int | None = None) -> None:
    """Two counters with one name would be two identical tiles on the hall's TV; names are
    compared as people read them (case and spacing ignored)."""
    for row in db.execute("SELECT id, name FROM counters WHERE id IS NOT ?", (counter_id,)):
        if " ".join(row["name"].split()).casefold() == name.casefold():
            raise Conflict(f"Đã có quầy tên \"{row['name']}\": chọn tên khác.", "counter_name_taken")


def _check_some_services(db, services) -> list[str]:
    """A counter serving no field is an empty tile on the TV and calls nobody."""
    services = _check_services(db, services)
    if not services:
        raise QueueError("Chọn ít nhất một lĩnh vực cho quầy (muốn ngừng quầy thì bấm Đóng quầy).",
                         "no_services")
    return services


def add_counter(db, name, services, at: datetime, actor=None) -> int:
    """Open a new counter at once (a peak day: 7 -> 14 counters)."""
    name = _check_name(name)
    with immediate(db):
        services = _check_some_services(db, services)
        _check_name_free(db, name)
        position = db.execute("SELECT coalesce(max(position), -1) + 1 FROM counters").fetchone()[0]
        counter_id = db.execute(
            "INSERT INTO counters (name, open, position) VALUES (?, 1, ?)", (name, position)
        ).lastrowid
        _set_counter_services(db, counter_id, services)
        log_event(db, at, "counter_added", counter_id=counter_id, actor=actor, name=name, services=services)
    return counter_id


def update_counter(db, counter_id: int, changes: dict, at: datetime, actor=None) -> None:
    """Open or close a counter, rename it, or change the fields it serves, live.

    Closing a counter that is serving someone puts that citizen back at the
    head of their field's queue (original arrival time kept): nobody is lost.
    """
    unknown = set(changes) - {"open", "services", "name"}
    if unknown or not changes:
        raise QueueError("Chỉ có thể đổi open, services, name.", "invalid_change")
    if "open" in changes and not isinstance(changes["open"], bool):
        raise QueueError("Giá trị open phải là true hoặc false.", "invalid_change")
    name = _check_name(changes["name"]) if "name" in changes else None
    with immediate(db):
        counter = counter_row(db, counter_id)
        if name is not None:
            _check_name_free(db, name, counter_id)
        if "services" in changes:
            services = _check_some_services(db, changes["services"])
            _set_counter_services(db, counter_id, services)
            log_event(db, at, "counter_services", counter_id=counter_id, actor=actor, services=services)
        if name is not None and name != counter["name"]:
            db.execute("UPDATE counters SET name = ? WHERE id = ?", (name, counter_id))
            log_event(db, at, "counter_renamed", counter_id=counter_id, actor=actor, name=name)
        if "open" in changes and changes["open"] != bool(counter["open"]):
            if not changes["open"]:
                current = current_ticket_id(db, counter_id)
                if current is not None:
                    db.execute(
                        "UPDATE tickets SET status = 'waiting', counter_id = NULL, called_at = NULL"
                        " WHERE id = ?", (current,),
                    )
                    log_event(db, at, "requeued", current, counter_id, actor=actor)
            db.execute(
                "UPDATE counters SET open = ?, paused = 0 WHERE id = ?", (int(changes["open"]), counter_id)
            )
            log_event(db, at, "counter_opened" if changes["open"] else "counter_closed",
                   counter_id=counter_id, actor=actor)
