"""How true are the waits the kiosk promises? A model-only day, many seeds and day shapes.

No server and no browser: the domain functions (shared/queue.py, shared/estimate.py) over a
bare SQLite database with a simulated clock, played by the officers and citizens of
bench/peak_day.py (same arrival model, service times, recalls and no-shows; counters call
in their sessions and, after closing, the numbers the kiosk promised until none is left, as
shared/queue.py lets them). Every citizen's kiosk promise is recorded as
the kiosk records it (the `promises` table), the old estimate (`ahead x today's mean /
open counters`, as main had it before issue 23) beside it from the same moment, and both
are scored with shared.reports.accuracy once the day is over.

    .venv/bin/python bench/wait_model.py                        # every shape, 5 seeds each
    .venv/bin/python bench/wait_model.py --shape peak --seeds 1 # the peak day of docs/peak-day.md
    .venv/bin/python bench/wait_model.py --json out.json        # also the figures as JSON
    .venv/bin/python bench/wait_model.py --shape peak --promise 0 --promise 25  # the margin's trade-off

Day shapes (`--shape`, repeatable): normal (150 citizens, the 7 counters of config.yaml),
peak (docs/peak-day.md: 650 citizens, 14 counters, seed 2026 first), closing (220 citizens;
Quầy 1 closes at 09:30 and opens again at 13:30), lunch (the kiosk hands out numbers through
the lunch break while the counters stop), one_counter (Đất đai, one counter, loaded to 85 %).
Before the measured day (a Monday) two normal Mondays are played, so history exists.
"""
import argparse
import heapq
import json
import math
import os
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import yaml  # noqa: E402

import peak_day  # noqa: E402
from shared import audit, auth, counters, estimate, hall, presence, queue, reports  # noqa: E402
from shared.config import validate  # noqa: E402
from shared.db import connect, init_database  # noqa: E402

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = datetime(2026, 11, 23, tzinfo=TZ)       # the measured Monday (docs/peak-day.md's day)
COUNTER_HOURS = [("07:30", "11:30"), ("13:30", "17:00")]
NORMAL_ARRIVALS = [0.2, 1.2, 1.5, 1.5, 1.4, 1.3, 1.2, 1.0, 0.8, 0.6, 0.1, 0.1, 0.1, 0.3,
                   1.2, 1.2, 1.0, 0.9, 0.7, 0.5, 0.3]
LUNCH_ARRIVALS = [0.2, 1.2, 1.5, 1.5, 1.4, 1.3, 1.2, 1.0, 0.8, 0.6, 0.6, 0.6, 0.6, 0.6,
                  1.2, 1.2, 1.0, 0.9, 0.7, 0.5, 0.3]
ONE_COUNTER_FIELDS = dict(peak_day.FIELDS, DD=(0.14, 15), CT=(0.21, 4))
SHAPES = {
    # name: (citizens, arrival weights per half hour from 06:30, kiosk hours, extra counters, fields)
    "normal": (150, NORMAL_ARRIVALS, peak_day.HOURS, [], peak_day.FIELDS),
    "peak": (650, peak_day.ARRIVALS, peak_day.HOURS, peak_day.EXTRA_COUNTERS, peak_day.FIELDS),
    "closing": (220, NORMAL_ARRIVALS, peak_day.HOURS, [], peak_day.FIELDS),
    "lunch": (200, LUNCH_ARRIVALS, [("07:00", "17:00")], [], peak_day.FIELDS),
    "one_counter": (180, NORMAL_ARRIVALS, peak_day.HOURS, [], ONE_COUNTER_FIELDS),
}
CLOSING = ("09:30", "13:30", "Quầy 1")  # closes, opens again, which


def old_estimate(db, service: str, ahead: int, at: datetime, min_samples: int = 3) -> int | None:
    """The kiosk's estimate before issue 23 (shared/queue.py wait_estimate at f078eaf), in
    minutes: today's mean service of the field x ahead / open unpaused counters serving it;
    None ("not enough data", "no counter") when it showed no figure."""
    rows = db.execute(
        "SELECT called_at, finished_at FROM tickets WHERE day = ? AND service = ? AND status = 'done'"
        " AND called_at IS NOT NULL AND finished_at IS NOT NULL", (audit.day_of(at), service)).fetchall()
    durations = [s for s in ((datetime.fromisoformat(r[1]) - datetime.fromisoformat(r[0])).total_seconds()
                             for r in rows) if 0 < s < 4 * 3600]
    serving = db.execute(
        "SELECT count(*) FROM counters c JOIN counter_services s ON s.counter_id = c.id"
        " WHERE s.service = ? AND c.open = 1 AND c.paused = 0", (service,)).fetchone()[0]
    if serving == 0:
        return None
    if ahead == 0:
        return 0
    if len(durations) < min_samples:
        return None
    return max(1, round(ahead * sum(durations) / len(durations) / serving / 60))


def staff(db, at: datetime) -> None:
    """An officer present at every open counter (presence's own step, as an officer's counter
    page makes it): the estimate counts only counters with an officer."""
    here = presence.present(db, at)
    for row in db.execute("SELECT id FROM counters WHERE open = 1").fetchall():
        if row["id"] not in here:
            token = auth.identify(db, auth.create_token(db, "officer", f"Cán bộ {row['id']}", at))
            presence.counter_page_joined(db, f"bench-{token['id']}", row["id"], token["id"],
                                         f"officer:{token['id']}:Cán bộ {row['id']}", f"bench-{token['id']}", at)


def at_clock(day: datetime, text: str) -> datetime:
    h, m = map(int, text.split(":"))
    return day.replace(hour=h, minute=m, second=0, microsecond=0)


class Day:
    """One simulated day over a bare database: kiosks, officers and the estimators."""

    def __init__(self, db, config, day: datetime, shape: str, seed: int, measure: bool):
        self.db, self.config, self.day, self.shape, self.measure = db, config, day, shape, measure
        self.closing = at_clock(day, COUNTER_HOURS[-1][1])
        n, weights, self.kiosk_hours, extra, self.fields = SHAPES[shape]
        self.rnd = random.Random(seed + 1)
        arrivals_rnd = random.Random(seed)
        self.events: list = []
        self.seq = 0
        first = at_clock(day, "06:30")
        codes, shares = list(self.fields), [self.fields[c][0] for c in self.fields]
        for _ in range(n):  # the arrival model of bench/peak_day.py
            slot = arrivals_rnd.choices(range(len(weights)), weights=weights)[0]
            at = first + timedelta(seconds=slot * 1800 + arrivals_rnd.uniform(0, 1800))
            self.push(at, "arrive", {"field": arrivals_rnd.choices(codes, weights=shares)[0],
                                     "priority": arrivals_rnd.random() < peak_day.PRIORITY})
        for name, fields in ((f"Quầy {i}", f) for i, f in enumerate(extra, start=8)):
            if not db.execute("SELECT 1 FROM counters WHERE name = ?", (name,)).fetchone():
                counters.add_counter(db, name, fields, first)
        self.counters = {c["id"]: c for c in hall.counters(db)}
        staff(db, first)
        self.busy = {cid: True for cid in self.counters}
        self.closed: set[int] = set()
        for cid in self.counters:
            self.push(at_clock(day, COUNTER_HOURS[0][0]) + timedelta(seconds=self.rnd.uniform(0, 20)), "call",
                      {"counter": cid})
        if shape == "closing":
            cid = next(c for c, row in self.counters.items() if row["name"] == CLOSING[2])
            self.push(at_clock(day, CLOSING[0]), "close", {"counter": cid})
            self.push(at_clock(day, CLOSING[1]), "reopen", {"counter": cid})
        self.tickets: dict[int, dict] = {}
        self.first_id = db.execute("SELECT coalesce(max(id), 0) FROM tickets").fetchone()[0]
        self.waiting_max = 0
        self.looks: dict[str, dict[int, bool]] = {}
        for text in LOOKS if measure else ():
            self.push(at_clock(day, text), "look", {"at": text})

    def push(self, at: datetime, kind: str, data: dict) -> None:
        self.seq += 1
        heapq.heappush(self.events, (at, self.seq, kind, data))

    def run(self) -> None:
        end = at_clock(self.day, "20:00")  # the last promised citizens are served past closing
        while self.events:
            at, _, kind, data = heapq.heappop(self.events)
            if at > end:
                break
            getattr(self, kind)(at, data)

    def window(self, at: datetime):
        for a, b in COUNTER_HOURS:
            start, stop = at_clock(self.day, a), at_clock(self.day, b)
            if at < stop:
                return max(at, start), stop
        return None

    def arrive(self, at: datetime, d: dict) -> None:
        opening = [(at_clock(self.day, a), at_clock(self.day, b)) for a, b in self.kiosk_hours]
        if not any(a <= at < b for a, b in opening):
            nxt = next((a for a, _ in opening if a > at), None)
            if nxt:
                self.push(nxt + timedelta(seconds=self.rnd.uniform(0, 120)), "arrive", d)
            return
        ticket = queue.issue_ticket(self.db, d["field"], d["priority"], at)
        self.waiting_max = max(self.waiting_max, ticket["id"] - sum(1 for t in self.tickets.values() if t["called"])
                               - self.first_id)
        record = {"field": d["field"], "issued": at, "called": None}
        if self.measure:
            record["old"] = old_estimate(self.db, d["field"], ticket["ahead"], at)
            started = time.perf_counter()
            record["new"] = estimate.at_issue(self.db, self.config, ticket, at)
            record["cost_s"] = time.perf_counter() - started   # a new projection: the queue changed
            started = time.perf_counter()
            estimate.for_ticket(self.db, self.config, ticket, at)
            record["phone_s"] = time.perf_counter() - started  # what each phone's refresh costs then
        self.tickets[ticket["id"]] = record
        for cid, c in self.counters.items():
            if not self.busy[cid] and cid not in self.closed and d["field"] in c["services"]:
                self.busy[cid] = True
                self.push(at + timedelta(seconds=self.rnd.uniform(2, 8)), "call", {"counter": cid})

    def call(self, at: datetime, d: dict) -> None:
        cid = d["counter"]
        if cid in self.closed:
            return
        win = self.window(at)
        if win is not None and (at < win[0] or d.get("finish")):
            if d.get("finish"):
                queue.finish(self.db, cid, at)
            self.busy[cid] = True
            self.push(win[0] + timedelta(seconds=self.rnd.uniform(0, 20)), "call", {"counter": cid})
            return
        # In a session, or after closing: then the server calls only the numbers the kiosk promised.
        ticket, _ = queue.call_next(self.db, cid, at, self.config["queue"], closing=self.closing)
        if ticket is None:
            self.busy[cid] = False
            return
        self.busy[cid] = True
        t = self.tickets.get(ticket["id"])
        if t and t["called"] is None:
            t["called"] = at
        if self.rnd.random() < peak_day.ABSENT:
            self.push(at + timedelta(seconds=60), "recall", {"counter": cid, "field": ticket["service"]})
        else:
            self.serve_then_next(at, cid, ticket["service"])

    def serve_then_next(self, at: datetime, cid: int, field: str) -> None:
        mean, sigma = self.fields[field][1] * 60, 0.5
        service = max(40.0, self.rnd.lognormvariate(math.log(mean) - sigma * sigma / 2, sigma))
        done = at + timedelta(seconds=30 + service)
        win = self.window(at)  # the officer leaves for lunch after this file; at closing goes on
        self.push(done, "call", {"counter": cid, "finish": bool(win and self.closing > win[1] <= done)})

    def recall(self, at: datetime, d: dict) -> None:
        if d["counter"] in self.closed:
            return
        queue.recall(self.db, d["counter"], at)
        if self.rnd.random() < peak_day.NEVER_COME:
            self.push(at + timedelta(seconds=60), "no_show", d)
        else:
            self.serve_then_next(at, d["counter"], d["field"])

    def no_show(self, at: datetime, d: dict) -> None:
        if d["counter"] in self.closed:
            return
        queue.no_show(self.db, d["counter"], at)
        self.push(at + timedelta(seconds=5), "call", {"counter": d["counter"]})

    def look(self, at: datetime, d: dict) -> None:
        """What each waiting citizen's phone page says at `at`: warned or not (scored at the end)."""
        rows = self.db.execute("SELECT * FROM tickets WHERE status = 'waiting' AND day = ?", (audit.day_of(at),))
        self.looks[d["at"]] = {row["id"]: estimate.for_ticket(self.db, self.config, dict(row), at)["late"]
                               for row in rows.fetchall()}

    def close(self, at: datetime, d: dict) -> None:
        """The officer leaves for a meeting: the supervisor closes the counter (its citizen is requeued)."""
        self.closed.add(d["counter"])
        counters.update_counter(self.db, d["counter"], {"open": False}, at)

    def reopen(self, at: datetime, d: dict) -> None:
        self.closed.discard(d["counter"])
        counters.update_counter(self.db, d["counter"], {"open": True}, at)
        self.busy[d["counter"]] = True
        self.push(at + timedelta(seconds=self.rnd.uniform(0, 20)), "call", {"counter": d["counter"]})

    def rows(self, which: str) -> list[dict]:
        """Per citizen: what `which` estimator promised at issue and the wait that followed."""
        out = []
        for t in self.tickets.values():
            wait = (t["called"] - t["issued"]).total_seconds() if t["called"] else None
            after = (t["called"] - self.closing).total_seconds() if t["called"] and t["called"] >= self.closing else None
            if which == "old":
                out.append({"promised_s": None if t["old"] is None else t["old"] * 60, "late": False, "wait_s": wait,
                            "after_closing_s": after})
            else:
                p = t["new"]
                out.append({"promised_s": None if p["minutes"] is None else p["minutes"] * 60,
                            "late": p["late"], "wait_s": wait, "after_closing_s": after})
        return out


LOOKS = ("15:00", "16:00", "16:30")  # moments the phone page's warning is scored, among those then waiting


def config_for(path: Path, shape: str, promise: int | None = None) -> dict:
    """config.yaml for a model day of `shape` (`promise`: center.promise_past_closing_min)."""
    raw = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    raw["database"]["path"] = str(path)
    if promise is not None:
        raw["center"]["promise_past_closing_min"] = promise
    raw["center"]["hours"] = {"mon-fri": [f"{a}-{b}" for a, b in SHAPES[shape][2]]}
    raw["center"]["counter_hours"] = {"mon-fri": [f"{a}-{b}" for a, b in COUNTER_HOURS]}
    return validate(raw)


def play_history(config, weeks: int, seed: int):
    """The database of `config`, with `weeks` normal Mondays before DAY played into it (the
    same weekday's history the estimator learns from); returns the open connection."""
    db = connect(config["database"]["path"])
    db.execute("PRAGMA synchronous = OFF")  # a model run: nothing to keep after a crash
    init_database(db, config)
    for week in range(weeks, 0, -1):
        Day(db, config, DAY - timedelta(weeks=week), "normal", seed + 100 * week, measure=False).run()
    return db


def play_day(shape: str, seed: int, history: int, promise: int | None = None) -> dict:
    """History days (normal Mondays, unmeasured), then the measured day: old and new figures,
    the calls after closing among them (`promise`: center.promise_past_closing_min, else config.yaml's)."""
    with tempfile.TemporaryDirectory() as tmp:
        config = config_for(Path(tmp) / "model.db", shape, promise)
        db = play_history(config, history, seed)
        day = Day(db, config, DAY, shape, seed, measure=True)
        started = time.perf_counter()
        day.run()
        elapsed = time.perf_counter() - started
        db.conn.close()
    cost = {}
    for key in ("cost_s", "phone_s"):
        values = [1000 * t[key] for t in day.tickets.values()]
        cost[key] = {"p50": round(reports.percentile(values, 0.5), 2), "p90": round(reports.percentile(values, 0.9), 2),
                     "max": round(max(values), 2)}
    return {"shape": shape, "seed": seed, "citizens": len(day.tickets),
            "promise_min": config.center.promise_past_closing_min,
            "old": reports.accuracy(day.rows("old")), "new": reports.accuracy(day.rows("new")),
            "issue_ms": cost["cost_s"], "phone_ms": cost["phone_s"],
            "live": {moment: scored(warned, day.tickets) for moment, warned in day.looks.items()},
            "waiting_max": day.waiting_max, "day_s": round(elapsed, 1)}


def scored(warned: dict[int, bool], tickets: dict[int, dict]) -> dict:
    """Warnings shown to citizens waiting at one moment, against whether they were called."""
    served = {tid for tid, t in tickets.items() if t["called"] is not None}
    return {"waiting": len(warned), "warned": sum(warned.values()),
            "warned_served": sum(1 for tid, late in warned.items() if late and tid in served),
            "not_served_unwarned": sum(1 for tid, late in warned.items() if not late and tid not in served)}


def pooled(runs: list[dict], which: str) -> dict:
    """Figures over every citizen of several runs (weighted by citizens, as one long day)."""
    keys = ("kept_pct", "too_short_pct", "too_long_pct", "no_figure_pct")
    n = sum(r[which]["citizens"] for r in runs)
    out = {k: round(sum(r[which][k] * r[which]["citizens"] for r in runs if r[which][k] is not None) / n, 1)
           for k in keys}
    for k in ("error_median_min", "error_p90_min", "bias_min"):
        values = sorted(r[which][k] for r in runs if r[which][k] is not None)
        out[k + " (median of days)"] = values[len(values) // 2] if values else None
    warned = sum(r[which]["warned"] for r in runs)
    out["warned"] = warned
    out["warned_served_pct"] = None if not warned else round(
        sum(r[which]["warned"] * (r[which]["warned_served_pct"] or 0) / 100 for r in runs) / warned * 100, 1)
    out["not_served"] = sum(r[which]["not_served"] for r in runs)
    out["not_served_unwarned"] = sum(r[which]["not_served_unwarned"] for r in runs)
    out["after_closing"] = sum(r[which]["after_closing"] for r in runs)
    out["after_closing_last_min"] = max((r[which]["after_closing_last_min"] for r in runs
                                         if r[which]["after_closing_last_min"] is not None), default=None)
    out["citizens"] = n
    return out


def table(results: dict) -> str:
    rows = [("kept: within ±max(5 min, 25 %), or warned and not served (%)", "kept_pct"),
            ("promised > 5 min too short, or never called unwarned (%)", "too_short_pct"),
            ("promised > 5 min too long (%)", "too_long_pct"),
            ("no figure shown (%)", "no_figure_pct"),
            ("abs. error median (min, median of days)", "error_median_min (median of days)"),
            ("abs. error P90 (min, median of days)", "error_p90_min (median of days)"),
            ("bias: actual - promised (min, median of days)", "bias_min (median of days)"),
            ("warned \"có thể không kịp\"", "warned"),
            ("warned but served (%)", "warned_served_pct"),
            ("not served", "not_served"),
            ("not served and not warned", "not_served_unwarned"),
            ("called after closing (the promised)", "after_closing"),
            ("last call after closing, min (worst day)", "after_closing_last_min")]
    shapes = list(results)
    head = "| | " + " | ".join(f"{s} old | {s} new" for s in shapes) + " |"
    lines = [head, "|---" * (1 + 2 * len(shapes)) + "|",
             "| citizens (days) | " + " | ".join(
                 f"{results[s]['new']['citizens']} ({results[s]['days']}) | same" for s in shapes) + " |"]
    for label, key in rows:
        cells = []
        for s in shapes:
            cells += ["—" if results[s][w].get(key) is None else str(results[s][w][key]) for w in ("old", "new")]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append("| cost of the new estimate at issue, ms p50 / p90 / max (worst day) | " + " | ".join(
        "— | " + " / ".join(str(results[s]["issue_ms"][k]) for k in ("p50", "p90", "max")) for s in shapes) + " |")
    lines.append("| a phone's refresh while the queue is unchanged, ms max | " + " | ".join(
        f"— | {results[s]['phone_ms']}" for s in shapes) + " |")
    return "\n".join(lines)


def counts_table(corner: str, columns: dict[str, list[tuple[str, dict]]], keys: tuple) -> str:
    """Counts as a table: a column per shape, a row per label, each cell "a / b / ..." of `keys`."""
    shapes = list(columns)
    lines = [f"| {corner} | " + " | ".join(shapes) + " |", "|---" * (1 + len(shapes)) + "|"]
    for i, (label, _) in enumerate(next(iter(columns.values()), [])):
        lines.append(f"| {label} | " + " | ".join(" / ".join("—" if columns[s][i][1][k] is None else str(columns[s][i][1][k])
                                                             for k in keys) for s in shapes) + " |")
    return "\n".join(lines)


def live_table(results: dict) -> str:
    """Per shape and moment, over its days: waiting / warned / of them served / not served and not warned."""
    return counts_table("phone page at", {s: [(m, results[s]["live"][m]) for m in LOOKS] for s in results},
                        ("waiting", "warned", "warned_served", "not_served_unwarned"))


def promise_table(sweep: dict[int, dict]) -> str:
    """Per center.promise_past_closing_min and shape, over its days: warned / of them served
    after all / not served and not warned / called after closing / last call past closing (min)."""
    shapes = list(next(iter(sweep.values())))
    return counts_table("promise past closing (min)",
                        {s: [(str(m), sweep[m][s]["new"]) for m in sweep] for s in shapes},
                        ("warned", "warned_served_pct", "not_served_unwarned", "after_closing", "after_closing_last_min"))


def cost(waiting: int = 600, repeat: int = 30) -> dict:
    """Milliseconds of one projection (what each change of the queue costs the kiosk, the phones
    and the dashboard together) with `waiting` citizens in the queue at once and 14 counters."""
    with tempfile.TemporaryDirectory() as tmp:
        db = play_history(config_for(Path(tmp) / "cost.db", "peak"), 2, 2026)
        config = config_for(Path(tmp) / "cost.db", "peak")
        at = at_clock(DAY, "07:00")
        for i, fields in enumerate(peak_day.EXTRA_COUNTERS, start=8):
            counters.add_counter(db, f"Quầy {i}", fields, at)
        staff(db, at)
        rnd, codes = random.Random(2026), list(peak_day.FIELDS)
        for i in range(waiting):
            queue.issue_ticket(db, rnd.choice(codes), rnd.random() < peak_day.PRIORITY, at + timedelta(seconds=i))
        times = []
        for k in range(repeat):
            estimate._cache.clear()
            started = time.perf_counter()
            estimate.projection(db, config, at + timedelta(seconds=waiting + k))
            times.append(1000 * (time.perf_counter() - started))
        db.conn.close()
    return {"waiting": waiting, "p50_ms": round(reports.percentile(times, 0.5), 1), "max_ms": round(max(times), 1)}


def write_doc(results: dict, command: str, sweep: dict[int, dict]) -> None:
    """The table into docs/peak-day.md, between bench/peak_day.py's marks (which it keeps)."""
    doc = ROOT / "docs" / "peak-day.md"
    parts = doc.read_text("utf-8").split(peak_day.MODEL_MARK)
    if len(parts) != 3:
        raise SystemExit(f"{doc}: no {peak_day.MODEL_MARK} block (rerun bench/peak_day.py's write_doc)")
    parts[1] = (f"\n    .venv/bin/python {command}\n\n{table(results)}\n\n"
                "Each shape is played with seeds 2026, 2027, ... (the peak shape's seed 2026 is the day above,"
                " with its own service times); before each day, two normal Mondays give the history. The costs"
                f" are per call on a shared {os.cpu_count()}-core machine (load average {os.getloadavg()[0]:.1f} at"
                " the end of the run): the maxima are the machine's stalls; `--cost` times one projection with"
                " 600 citizens waiting.\n"
                "\nThe phone page's warning later in the day (the estimate updates as the queue moves): among the"
                " citizens waiting at each moment, waiting / warned / of them served after all / not served and"
                " not warned, over the same days:\n\n" + live_table(results) + "\n")
    if sweep:
        parts[1] += ("\nThe margin's trade-off (`--promise M`, each M a run of the same days with"
                     " `center.promise_past_closing_min: M`): warned / % of them served after all / not served and"
                     " not warned / citizens called after closing / the last call, minutes past closing (worst"
                     " day):\n\n" + promise_table(sweep) + "\n")
    doc.write_text(peak_day.MODEL_MARK.join(parts), "utf-8")
    print(f"wrote {doc}")


def measure(shapes: list[str], seeds: int, history: int, promise: int | None) -> tuple[dict, list[dict]]:
    """Every shape's days played and pooled: (figures per shape, every day's run)."""
    results, every = {}, []
    for shape in shapes:
        runs = []
        for seed in range(2026, 2026 + seeds):
            run = play_day(shape, seed, history, promise)
            print(json.dumps({k: run[k] for k in ("shape", "seed", "promise_min", "citizens", "issue_ms", "phone_ms",
                                                  "waiting_max", "day_s")}
                             | {"old_kept": run["old"]["kept_pct"], "new_kept": run["new"]["kept_pct"],
                                "new_short": run["new"]["too_short_pct"],
                                "new_warned_served": run["new"]["warned_served_pct"],
                                "new_unwarned": run["new"]["not_served_unwarned"],
                                "after_closing": run["new"]["after_closing"]}, ensure_ascii=False), flush=True)
            runs.append(run)
        every += runs
        results[shape] = {"days": len(runs), "old": pooled(runs, "old"), "new": pooled(runs, "new"),
                          "issue_ms": {k: max(r["issue_ms"][k] for r in runs) for k in ("p50", "p90", "max")},
                          "phone_ms": max(r["phone_ms"]["max"] for r in runs),
                          "live": {m: {k: sum(r["live"][m][k] for r in runs) for k in runs[0]["live"][m]} for m in LOOKS}}
    return results, every


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", action="append", choices=list(SHAPES), help="day shapes (default: all)")
    parser.add_argument("--seeds", type=int, default=5, help="days per shape (seeds 2026, 2027, ...)")
    parser.add_argument("--history", type=int, default=2, help="normal same-weekday days played before")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    parser.add_argument("--doc", action="store_true", help="write the table into docs/peak-day.md")
    parser.add_argument("--cost", action="store_true", help="only time one projection with 600 citizens waiting")
    parser.add_argument("--promise", type=int, action="append", default=[],
                        help="also the same days with center.promise_past_closing_min at this value (repeatable)")
    args = parser.parse_args()
    if args.cost:
        print(json.dumps(cost()))
        return
    shapes = args.shape or list(SHAPES)
    results, every = measure(shapes, args.seeds, args.history, None)
    sweep = {m: measure(shapes, args.seeds, args.history, m)[0] for m in args.promise}
    if sweep:  # config.yaml's own margin is the run above
        sweep[every[0]["promise_min"]] = results
        sweep = dict(sorted(sweep.items()))
    print(table(results))
    print(live_table(results))
    if sweep:
        print(promise_table(sweep))
    if args.doc:
        write_doc(results, f"bench/wait_model.py --seeds {args.seeds} --history {args.history}"
                  + "".join(f" --shape {s}" for s in args.shape or []) + "".join(f" --promise {m}" for m in args.promise),
                  sweep)
    if args.json:
        Path(args.json).write_text(json.dumps({"summary": results, "promise": sweep, "runs": every},
                                              ensure_ascii=False, indent=1), "utf-8")


if __name__ == "__main__":
    main()
