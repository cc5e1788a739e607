"""Benchmark: a hall display's memory over many calls (the announcer's queue must stay bounded).

Starts the real server (`motcua serve`, eventlet) on a database of its own, puts a ticket at
each of 7 counters, opens `/display` in Debian's Chromium and then has the counters recall
their numbers, round-robin, N times at a steady rate: every recall is a `called` event the
display draws and hands to its announcer. Two runs:

- `keep`: a pace the announcer keeps: `voice.mode: chime` with the chime replaced by a 20 ms
  silent clip and no pause between calls (Announcer.configure), so each call is "read" in
  about 0.1 s through the same queue, Web Audio scheduling and log as a real one, and calls
  come at `--keep-rate` (default 8 a second): nothing backs up, every call is played;
- `flood`: `voice.mode: auto` (the shipped clips, about 2 s a call) at `--rate` (default 60 a
  second), far more than it can say: the backlog must be dropped, not kept (docs/voice.md).

The heap is read through the DevTools protocol after a forced garbage collection
(HeapProfiler.collectGarbage, Runtime.getHeapUsage): once after a warm-up of 500 calls (while
the page also decodes its clip set), and again after the N calls. The target: growth under
1 MB in both runs. `dropped` counts the calls the announcer dropped during the N calls
(0 in the keep run: it kept pace), `pending` those still queued at the end.

usage: python bench/display_memory.py [--calls 20000] [--rate 60] [--keep-rate 8] [--runs flood,keep]
"""
import argparse
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import requests
import yaml
from serving import wait_until_serving

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WARM_UP = 500
COUNTERS = 7


def silence(ms: int = 20, rate: int = 22050) -> bytes:
    """A WAV file of `ms` milliseconds of silence: the `keep` run's chime."""
    import io
    import wave
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\0\0" * (rate * ms // 1000))
    return out.getvalue()


SILENCE = silence()


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(workdir: Path, mode: str):
    """A server with the demo center, the given voice mode, all-day hours; its URL, process and
    the headers of an enrolled kiosk and an officer."""
    from shared.auth import create_token, enrol_device, invite_device
    from shared.config import validate
    from shared.db import connect, init_database

    raw = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    raw["database"]["path"] = str(workdir / "motcua.db")
    raw["center"]["hours"] = {"mon-sun": ["00:00-24:00"]}
    raw["kiosk"] = {"max_tickets_per_minute": 0}
    raw["server"].update({"async_mode": "eventlet", "max_connections_per_address": 0})
    raw.setdefault("voice", {})["mode"] = mode
    (workdir / "config.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    config = validate(raw, base_dir=workdir)
    db = connect(config["database"]["path"])
    init_database(db, config)
    at = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh"))
    kiosk = enrol_device(db, invite_device(db, "kiosk", "Sảnh", None, at), at)[1]
    officer = create_token(db, "officer", "Bench", at)
    db.conn.close()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = workdir / f"server-{mode}.log"
    proc = subprocess.Popen([sys.executable, "-m", "shared.cli", "--config", str(workdir / "config.yaml"), "serve",
                             "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT,
                            stdout=log.open("ab"), stderr=subprocess.STDOUT)
    wait_until_serving(url, "/api/services", proc, log)
    return url, proc, {"Authorization": f"Bearer {kiosk}"}, {"Authorization": f"Bearer {officer}"}


def heap_mb(cdp) -> float:
    cdp.send("HeapProfiler.collectGarbage")
    cdp.send("HeapProfiler.collectGarbage")
    return cdp.send("Runtime.getHeapUsage")["usedSize"] / 1e6


def recalls(url: str, officer: dict, n: int, rate: float) -> float:
    """n recalls at `rate` per second, round-robin over the counters, sent on their schedule by
    4 workers (one request takes about as long as a 60/s gap); returns the achieved rate."""
    from concurrent.futures import ThreadPoolExecutor

    sessions = threading.local()

    def recall(i):
        if not hasattr(sessions, "http"):
            sessions.http = requests.Session()
        sessions.http.post(f"{url}/api/counters/{i % COUNTERS + 1}/recall", headers=officer, json={},
                           timeout=10).raise_for_status()

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=4) as pool:
        done = []
        for i in range(n):
            pause = started + i / rate - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            done.append(pool.submit(recall, i))
        for future in done:
            future.result()
    return n / (time.monotonic() - started)


def run(mode: str, calls: int, rate: float, browser) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"motcua-display-memory-{mode}-"))
    url, proc, kiosk, officer = start(workdir, mode)
    http = requests.Session()
    try:
        services = ["HT", "HT", "CT", "DD", "DKKD", "LDXH", "TKQ"]
        for counter, code in enumerate(services, start=1):
            http.post(url + "/api/tickets", headers=kiosk, json={"service": code}, timeout=10).raise_for_status()
            http.post(f"{url}/api/counters/{counter}/call-next", headers=officer, json={},
                      timeout=10).raise_for_status()
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
        page = context.new_page()
        if mode == "chime":
            context.route("**/voice/chime.ogg", lambda route: route.fulfill(body=SILENCE, content_type="audio/wav"))
        page.goto(url + "/display")
        page.wait_for_function("document.getElementById('status').dataset.status === 'online'")
        if mode == "chime":
            page.evaluate("Announcer.configure({itemGap: 0, chimeGap: 0, runGap: 600})")
        cdp = context.new_cdp_session(page)
        recalls(url, officer, WARM_UP, rate)      # while the page also decodes its clip set
        page.wait_for_timeout(1500)
        before = heap_mb(cdp)
        dropped_before = page.evaluate("Announcer.dropped")
        achieved = recalls(url, officer, calls, rate)
        page.wait_for_timeout(1500)
        after = heap_mb(cdp)
        state = page.evaluate("""() => {
          return {pending: Announcer.pending(), dropped: Announcer.dropped, log: Announcer.log.length,
                  tiles: document.querySelectorAll('.tile').length}; }""")
        state["dropped"] -= dropped_before                   # during the measured calls
        context.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
    return {"mode": mode, "calls": calls, "rate": round(achieved, 1), "heap_before_mb": round(before, 3),
            "heap_after_mb": round(after, 3), "growth_kb": round((after - before) * 1000, 1), **state}


def main() -> int:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--rate", type=float, default=60.0, help="calls per second of the flood run")
    parser.add_argument("--keep-rate", type=float, default=8.0, help="calls per second of the keep run")
    parser.add_argument("--runs", default="flood,keep", help="flood (voice.mode auto) and/or keep (a 20 ms chime)")
    args = parser.parse_args()
    modes = {"keep": "chime", "flood": "auto"}
    rates = {"keep": args.keep_rate, "flood": args.rate}
    args_chromium = ["--no-sandbox", "--disable-gpu", "--mute-audio", "--autoplay-policy=no-user-gesture-required"]
    failed = False
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), headless=True, args=args_chromium)
        for name in args.runs.split(","):
            result = run(modes[name], args.calls, rates[name], browser)
            ok = result["growth_kb"] < 1000
            failed |= not ok
            print(f"{name:5}  {result}  {'OK' if ok else 'OVER 1 MB'}", flush=True)
        browser.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
