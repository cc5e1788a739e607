"""The hall's devices as they really are: each trusted page reports over its live connection.

A trusted page is an enrolled device's page (a hall display or counter-top screen
enrolled as `display`, a kiosk, a rating tablet) or a logged-in officer's counter
page (shared/presence.py). Each has a row of `screens` while connected; its
reports (what only the page knows: its version, when it last heard an event,
whether its sound can play, its announcement lag, its clock offset, its screen
size) are kept there, one small JSON per connection, at most one every
REPORT_EVERY_S seconds. A page without a row (a phone, an unenrolled /display)
is refused before anything is stored, so it can neither pose as a display nor
fill the database. No Flask here.
"""
import json
import os
from datetime import datetime, timedelta

from .audit import day_of, stamp
from .db import immediate, process_alive

PAGES = {"display": "display", "counter_top": "display", "kiosk": "kiosk", "rating": "rating"}  # page -> device kind
REPORT_EVERY_S = 2      # a report sooner than this after the last one is dropped
REPORT_KEYS = {         # key -> accepted types; anything else refuses the report
    "version": (str,), "heard_at": (str,), "last_call_at": (str,), "late_s": (int, float),
    "sound": (str,), "lag_s": (int, float), "clock_offset_ms": (int, float), "screen": (list,),
    "pending": (int,), "dropped": (int,),
}
SOUND = ("ok", "blocked", "none")


def device_joined(db, sid: str, page: str, device: dict, at: datetime) -> bool:
    """An enrolled device's page connected (its kind must fit the page); its earlier,
    ended connections are forgotten. False for a page its kind does not fit."""
    if PAGES.get(page) != device["kind"]:
        return False
    with immediate(db):
        db.execute("DELETE FROM screens WHERE device_id = ? AND gone_at IS NOT NULL", (device["id"],))
        db.execute("""INSERT OR REPLACE INTO screens (sid, pid, kind, device_id, counter_id, connected_at)
                      VALUES (?, ?, ?, ?, ?, ?)""",
                   (sid, os.getpid(), page, device["id"], device["counter_id"], stamp(at)))
    return True


def _clean(data) -> dict | None:
    """The report's known keys with values of the right type and size, or None."""
    if not isinstance(data, dict) or not set(data) <= set(REPORT_KEYS):
        return None
    for key, value in data.items():
        if isinstance(value, bool) or not isinstance(value, REPORT_KEYS[key]):
            return None
        if isinstance(value, str) and len(value) > 40 or key == "sound" and value not in SOUND:
            return None
        if key == "screen" and (len(value) != 2 or not all(
                isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 100000 for v in value)):
            return None
        if isinstance(value, (int, float)) and not -1e9 < value < 1e12:
            return None
    return data


def report(db, sid: str, data, at: datetime) -> dict:
    """Keep a trusted page's report. The answer: {"ok": true}, or {"error"}: `forbidden`
    (not a trusted page connected to this process), `invalid_report`, `too_fast`."""
    row = db.execute("SELECT reported_at FROM screens WHERE sid = ? AND pid = ? AND gone_at IS NULL",
                     (sid, os.getpid())).fetchone()
    if row is None:
        return {"error": "forbidden"}
    clean = _clean(data)
    if clean is None:
        return {"error": "invalid_report"}
    if row["reported_at"] and row["reported_at"] > stamp(at - timedelta(seconds=REPORT_EVERY_S)):
        return {"error": "too_fast"}
    with immediate(db):
        db.execute("UPDATE screens SET reported_at = ?, report = ? WHERE sid = ?",
                   (stamp(at), json.dumps(clean, ensure_ascii=False), sid))
    return {"ok": True}


def latest_call(db, at: datetime) -> dict | None:
    """Today's latest call or recall: {"id": "<ticket>.<recalls>", "at"} (what a display should have heard)."""
    row = db.execute("""SELECT e.at, e.ticket_id, t.recalls FROM audit e JOIN tickets t ON t.id = e.ticket_id
                        WHERE e.kind IN ('called', 'recalled') AND e.at >= ? ORDER BY e.id DESC LIMIT 1""",
                     (day_of(at),)).fetchone()
    return {"id": f"{row['ticket_id']}.{row['recalls']}", "at": row["at"]} if row else None


def _seconds(since: str, at: datetime) -> float:
    return max(0.0, (at - datetime.fromisoformat(since)).total_seconds())


def states(db, at: datetime, version: str, max_lag_s: float, late_call_s: float) -> list[dict]:
    """Every enrolled device, and every officer's counter page, with what is wrong with it.

    {"id", "kind", "page", "name", "counter_id", "online", "offline_since", "reported_at",
     "report", "problems": ["offline" | "never_seen" | "sound_blocked" | "lagging" | "missed" | "old_version"]}
    `id` is the device's id (null for counter pages, which are the officer's, not a device)."""
    moment = stamp(at)
    latest = latest_call(db, at)
    rows = db.execute("""SELECT s.*, d.name AS device_name FROM screens s LEFT JOIN devices d ON d.id = s.device_id
                         ORDER BY s.connected_at""").fetchall()
    by_device: dict[int, list] = {}
    for row in rows:
        if row["device_id"] is not None:
            by_device.setdefault(row["device_id"], []).append(row)
    found = []

    def entry(row, device) -> dict:
        live = row is not None and row["gone_at"] is None and process_alive(row["pid"])
        rep = json.loads(row["report"]) if row is not None and row["report"] else None
        problems = []
        if row is None:
            problems.append("never_seen")
        elif not live:
            problems.append("offline")
        if live and rep:
            if rep.get("sound") == "blocked":
                problems.append("sound_blocked")
            if rep.get("lag_s", 0) > max_lag_s:
                problems.append("lagging")
            if rep.get("version") and rep["version"] != version:
                problems.append("old_version")
            if row["kind"] == "display" and (rep.get("late_s", 0) > late_call_s or latest and (
                    rep.get("last_call_at") or "") < latest["at"]
                    and row["reported_at"] > stamp(datetime.fromisoformat(latest["at"])
                                                         + timedelta(seconds=late_call_s))):
                problems.append("missed")
        return {
            "id": device["id"] if device else None,
            "kind": device["kind"] if device else "counter",
            "page": row["kind"] if row is not None else None,
            "name": device["name"] if device else (row["officer"] or "").split(":", 2)[-1],
            "counter_id": row["counter_id"] if row is not None else device["counter_id"],
            "online": live,
            "offline_since": None if live or row is None else min(row["gone_at"], moment),
            "connected_at": row["connected_at"] if row is not None else None,
            "reported_at": row["reported_at"] if row is not None else None,
            "report": rep,
            "problems": problems,
        }

    for device in db.execute("""SELECT id, kind, name, counter_id, enrolled_at FROM devices
                                WHERE hash IS NOT NULL AND revoked_at IS NULL ORDER BY id"""):
        mine = by_device.get(device["id"], [])
        live = [r for r in mine if r["gone_at"] is None and process_alive(r["pid"])]
        item = entry((live or mine or [None])[-1], device)
        item["enrolled_at"] = device["enrolled_at"]
        found.append(item)
    for row in rows:
        if row["kind"] == "counter" and row["gone_at"] is None and process_alive(row["pid"]):
            found.append(entry(row, None))
    return found


def alerts(device_states: list[dict], at: datetime, open_now: bool, offline_s: int, max_lag_s: float,
           late_call_s: int) -> list[dict]:
    """The hall displays' alerts for the dashboard: offline more than `offline_s` seconds
    during working hours, sound blocked, lagging, missed calls."""
    found = []
    for d in device_states:
        if d["kind"] != "display":
            continue
        where = d["name"]
        since = d["offline_since"] or d.get("enrolled_at")
        if open_now and not d["online"] and since and _seconds(since, at) > offline_s:
            found.append({"kind": "display_offline", "device": d["id"], "since": d["offline_since"],
                          "message": f"Màn hình {where} mất kết nối đã {int(_seconds(since, at))} giây."})
        if "sound_blocked" in d["problems"]:
            found.append({"kind": "display_sound", "device": d["id"],
                          "message": f"Màn hình {where} không phát được âm thanh: bấm một phím trên TV"
                                     " hoặc mở lại với cờ tự phát âm thanh (docs/voice.md)."})
        if "lagging" in d["problems"]:
            found.append({"kind": "display_lag", "device": d["id"], "seconds": d["report"]["lag_s"],
                          "message": f"Màn hình {where} đọc số chậm {round(d['report']['lag_s'])} giây"
                                     f" (ngưỡng {max_lag_s:g} giây)."})
        if "missed" in d["problems"]:
            found.append({"kind": "display_missed", "device": d["id"],
                          "message": f"Màn hình {where} nhận lượt gọi chậm hơn {late_call_s} giây hoặc bỏ lỡ:"
                                     " kiểm tra mạng của TV."})
    return found
