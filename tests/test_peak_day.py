"""The peak-day bench (bench/peak_day.py): its model, its figures, and a short day run for real."""
import importlib.util
import json
import subprocess
import sys
from zoneinfo import ZoneInfo

import pytest

from conftest import ROOT

spec = importlib.util.spec_from_file_location("peak_day", ROOT / "bench" / "peak_day.py")
peak_day = importlib.util.module_from_spec(spec)
spec.loader.exec_module(peak_day)
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def test_the_model_is_seeded_with_a_morning_peak_and_a_smaller_one_after_lunch():
    day = peak_day.model(2026, 650, TZ, None)
    assert day == peak_day.model(2026, 650, TZ, None) and day != peak_day.model(1, 650, TZ, None)
    assert len(day) == 650 and day == sorted(day)
    hour = lambda h: sum(1 for at, _, _ in day if peak_day.clock_of(f"{h:02d}:00", TZ) <= at  # noqa: E731
                         < peak_day.clock_of(f"{h:02d}:00", TZ) + 3600)
    assert hour(7) > hour(13) > hour(12) and hour(7) > hour(10)
    assert {field for _, field, _ in day} == set(peak_day.FIELDS)
    assert len(peak_day.model(2026, 650, TZ, "08:00")) == sum(
        1 for at, _, _ in day if at < peak_day.clock_of("08:00", TZ))


def test_percentiles_and_the_chart():
    assert peak_day.pct([], 50) is None
    assert peak_day.pct([4, 1, 3, 2], 50) == 2.5 and peak_day.pct([1, 2, 3], 100) == 3
    at = peak_day.clock_of("07:30", TZ)
    svg = peak_day.chart({"before": {"per_call": [{"at": at, "start": 95.0}]},
                          "after": {"per_call": [{"at": at, "start": 3.0}, {"at": at, "start": None}]}}, TZ)
    assert svg.startswith("<svg") and svg.count("<circle") == 2 and ">before<" in svg and ">30 s<" in svg


@pytest.mark.timed  # a day at 60 times the real pace: every call must be read before the next ones pile up
def test_a_short_day_runs_against_the_real_server_and_display(tmp_path):
    results = tmp_path / "runs.json"
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "peak_day.py"), "--tickets", "250",
                          "--start", "07:20", "--until", "07:45", "--speed", "60", "--lead", "12", "--results", str(results),
                          "--no-doc"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    run = json.loads(results.read_text("utf-8"))["after"]
    assert run["tickets"] > 10 and run["calls"] >= 14
    assert run["announced"] == run["calls"] and run["never_started"] == 0
    assert all(0 <= c["start"] <= c["end"] for c in run["per_call"])
    assert all(c["form"] in ("full", "short", "quick") for c in run["per_call"])
    assert run["bursts"]["opening"]["calls"] >= 10 and run["bursts"]["opening"]["unspoken"] == 0
    assert run["start"]["max"] <= run["end"]["max"] and run["late_30s"] <= run["late_10s"]
    assert set(run["waits"]) == set(peak_day.FIELDS)
    assert sum(w["tickets"] for w in run["waits"].values()) == run["tickets"]
    # every kiosk promise scored, the new one from the issue reply beside the old estimate
    assert run["accuracy"]["new"]["citizens"] == run["accuracy"]["old"]["citizens"] == run["tickets"]
    assert run["accuracy"]["new"]["no_figure_pct"] == 0
    # and every citizen kept, to look up a run's misses
    citizens = run["per_citizen"]
    assert len(citizens) == run["tickets"] and {c["field"] for c in citizens} <= set(peak_day.FIELDS)
    assert sum(1 for c in citizens if c["called"]) == sum(w["called"] for w in run["waits"].values())
    assert all(c["promised"] == "late" or isinstance(c["promised"], int) for c in citizens)
    assert all(c["called"] is None or c["issued"] <= c["called"] for c in citizens)


def test_the_doc_is_written_from_the_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(peak_day, "DOC", tmp_path / "peak-day.md")
    at = peak_day.clock_of("07:30", TZ)
    run = {"label": "after", "commit": "abc1234", "speed": 30.0, "calls": 1, "announced": 1, "never_started": 0,
           "start": {"p50": 1.0, "p95": 1.0, "max": 1.0}, "end": {"p50": 3.0, "p95": 3.0, "max": 3.0},
           "late_10s": 0, "late_30s": 0, "bursts": {"opening": {"calls": 1, "last_end_s": 3.0, "unspoken": 0}},
           "tickets": 1, "refusals": {"outside_hours": 2},
           "waits": {f: {"tickets": 0, "called": 0, "p50_min": None, "p90_min": None, "max_min": None}
                     for f in peak_day.FIELDS},
           "per_call": [{"at": at, "start": 1.0, "end": 3.0, "form": "full"}]}
    peak_day.write_doc({"after": run, "before": dict(run, label="before", commit="b254a6e")})
    text = (tmp_path / "peak-day.md").read_text("utf-8")
    assert "| | before | after |" in text and "`b254a6e`" in text and "outside_hours 2" in text
    assert "1.0 / 1.0 / 1.0" in text and (tmp_path / "peak-day.svg").read_text("utf-8").startswith("<svg")
