"""Screenshots of the pages for the README: starts a real motcua server on a temporary
database, fills it with a realistic morning, and photographs each page with Debian's
chromium (never a downloaded browser).

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]
"""
import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
import yaml
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--mute-audio", "--hide-scrollbars",
        "--autoplay-policy=no-user-gesture-required"]  # the hall TV's flag: the voice runs, muted


class Server:
    def __init__(self, workdir: Path):
        raw = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
        raw["database"]["path"] = str(workdir / "motcua.db")
        raw["server"]["async_mode"] = "threading"
        raw["center"].pop("hours", None)    # photographs at any hour
        raw["kiosk"] = {"max_tickets_per_minute": 0}  # a morning's tickets issued in a second
        self.config = workdir / "config.yaml"
        self.config.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None

    def cli(self, *args) -> str:
        return subprocess.run([sys.executable, "-m", "shared.cli", "--config", str(self.config), *args],
                              cwd=ROOT, capture_output=True, text=True, check=True, timeout=60).stdout

    def enrol_path(self, *args) -> str:
        """The path of a one-time enrolment link (`motcua device invite ARGS`)."""
        return "/enroll/" + self.cli("device", "invite", *args).strip().rsplit("/", 1)[1]

    def start(self):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "shared.cli", "--config", str(self.config), "serve",
             "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(300):
            try:
                if requests.get(self.url + "/api/services", timeout=1).ok:
                    return self
            except requests.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def post(srv, path, headers=None, **body):
    r = requests.post(srv.url + path, json=body, headers=headers, timeout=5)
    r.raise_for_status()
    return r.json()


def morning(srv, officer, kiosk):
    """A busy morning on 7 counters: some served, a no-show, people waiting in every field."""
    for code, n in (("HT", 9), ("CT", 7), ("DD", 4), ("DKKD", 3), ("LDXH", 4), ("BHYT", 2), ("CU", 3), ("TKQ", 3)):
        for i in range(n):
            post(srv, "/api/tickets", kiosk, service=code, priority=(i == 3))
    for counter_id in range(1, 8):
        post(srv, f"/api/counters/{counter_id}/call-next", officer)
    time.sleep(0.3)
    for counter_id in (1, 3, 6):
        post(srv, f"/api/counters/{counter_id}/call-next", officer)
    post(srv, "/api/counters/2/no-show", officer)
    post(srv, "/api/counters/2/call-next", officer)
    post(srv, "/api/counters/4/pause", officer)


OFFICERS = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Em", "Võ Thị Giang",
            "Đặng Văn Hải", "Bùi Thị Hoa", "Đỗ Văn Khoa", "Hồ Thị Lan", "Ngô Văn Minh", "Dương Thị Nga",
            "Lý Văn Phúc", "Mai Thị Quỳnh"]


def officers_at(srv, counter_ids) -> list:
    """An officer logged in at each counter, its counter page connected (presence: an open
    counter without one shows "Chưa có cán bộ"); the connections stay open until closed."""
    import socketio
    pages = []
    for cid in counter_ids:
        secret = srv.cli("token", "create", "--role", "officer", "--name", OFFICERS[cid - 1]).splitlines()[-1]
        http = requests.Session()
        http.post(srv.url + "/api/login", json={"token": secret}, timeout=5).raise_for_status()
        page = socketio.Client(reconnection=False)
        page.connect(srv.url, headers={"Cookie": "; ".join(f"{k}={v}" for k, v in http.cookies.items())},
                     transports=["websocket"], auth={"page": "counter", "counter": cid}, wait_timeout=10)
        pages.append(page)
    return pages


def burst(srv, officer, kiosk, hall, save):
    """Opening time: all 14 counters call within a second; photographed while the voice reads
    the fourth call (highlighted, with the banner) and the others wait (the lighter mark)."""
    hall.wait_for_function("Announcer.preload().then(n => n > 300)", timeout=30000)
    hall.wait_for_function("Announcer.pending() === 0", timeout=30000)
    post(srv, "/api/counters/4/resume", officer)
    for code in ("HT", "HT", "CT", "DD", "DKKD", "LDXH", "TKQ", "HT", "CT", "DD", "DKKD", "LDXH", "CU", "HT"):
        post(srv, "/api/tickets", kiosk, service=code)
    for counter_id in range(1, 15):
        post(srv, f"/api/counters/{counter_id}/call-next", officer)
    hall.wait_for_function("Announcer.log.filter(e => e.event === 'start').length >= 4", timeout=30000)
    save(hall, "display-burst-1366x768.png")
    hall.context.close()


def desks(page, save, token, boss):
    """The officer's desk and the supervisor's dashboard on the peak day: 14 counters open."""
    for width, height, path, secret, ready, name in (
            (1280, 800, "/counter?counter=1", token, "#current:not(.none)", "counter.png"),
            (1920, 1080, "/supervisor", boss, '#counters tr[data-counter="14"]', "supervisor.png")):
        pg = page(width, height, path)
        pg.fill("#token", secret)
        pg.click("#login-form button[type=submit]")
        pg.locator(ready).wait_for()
        save(pg, name)
        pg.context.close()


def shoot(out: Path):
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        srv = Server(Path(tmp))
        token = srv.cli("token", "create", "--role", "officer", "--name", "Nguyễn Thị Lan").splitlines()[-1]
        boss = srv.cli("token", "create", "--role", "supervisor").splitlines()[-1]
        officer = {"Authorization": f"Bearer {token}"}
        srv.start()
        try:
            kiosk_device = {"Authorization": "Bearer " + post(srv, "/api/devices/enrol", code=srv.enrol_path(
                "--kind", "kiosk", "--name", "Lối vào").rsplit("/", 1)[1])["secret"]}
            morning(srv, officer, kiosk_device)
            present = officers_at(srv, range(1, 8))
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=shutil.which("chromium"), headless=True, args=ARGS)

                def page(width, height, path, scale=1):
                    ctx = browser.new_context(viewport={"width": width, "height": height}, locale="vi-VN",
                                              device_scale_factor=scale, bypass_csp=True)  # wait_for_function evals
                    pg = ctx.new_page()
                    pg.goto(srv.url + path)
                    if path.startswith("/enroll/"):  # the enrolment page asks first
                        pg.click("#enrol")
                        pg.wait_for_url(lambda url: "/enroll/" not in url)
                    pg.wait_for_load_state("networkidle")
                    pg.wait_for_function("document.fonts.status === 'loaded'")
                    return pg

                def save(pg, name):
                    pg.wait_for_timeout(400)
                    pg.screenshot(path=str(out / name))
                    print(out / name)

                kiosk = page(1280, 1024, srv.enrol_path("--kind", "kiosk", "--name", "Sảnh"))
                kiosk.locator('button[data-service="HT"]').wait_for()
                save(kiosk, "kiosk.png")
                kiosk.click('button[data-service="CT"]')
                kiosk.locator("#issued-number").wait_for()
                kiosk.wait_for_function("document.getElementById('issued-wait').textContent !== '…'")
                save(kiosk, "kiosk-ticket.png")
                token_src = kiosk.locator("#issued-qr").get_attribute("src")
                kiosk.context.close()

                portrait = page(1080, 1920, srv.enrol_path("--kind", "kiosk", "--name", "Sảnh 2"))   # a portrait kiosk
                portrait.locator('button[data-service="HT"]').wait_for()
                save(portrait, "kiosk-portrait.png")
                portrait.click('button[data-service="HT"]')
                portrait.wait_for_function("document.getElementById('issued-wait').textContent !== '…'")
                save(portrait, "kiosk-portrait-ticket.png")
                portrait.context.close()

                phone = page(412, 915, token_src.rsplit("/", 1)[0], scale=2)
                phone.locator("#number").wait_for()
                phone.wait_for_function("document.getElementById('ticket').dataset.status === 'waiting'")
                save(phone, "phone.png")
                phone.context.close()

                hall = page(1920, 1080, "/display")
                hall.wait_for_function("document.querySelectorAll('.tile').length === 7")
                post(srv, "/api/counters/5/call-next", officer)
                save(hall, "display-7.png")
                hall.context.close()

                top = page(800, 480, "/display/counter/1")
                top.wait_for_function("document.getElementById('number').textContent !== '—'")
                save(top, "counter-top.png")
                top.context.close()

                requests.put(srv.url + "/api/notice", headers={"Authorization": f"Bearer {boss}"}, timeout=5, json={
                    "text": "Ngày cao điểm: trung tâm mở thêm 7 quầy. Công dân cao tuổi, khuyết tật xin lấy số ưu tiên."
                }).raise_for_status()
                for i, code in enumerate(["HT", "CT", "DD", "DKKD", "LDXH", "CU", "HT"], start=8):
                    post(srv, "/api/counters", {"Authorization": f"Bearer {boss}"}, name=f"Quầy {i}", services=[code])
                    post(srv, "/api/tickets", kiosk_device, service=code)
                    post(srv, f"/api/counters/{i}/call-next", officer)
                present += officers_at(srv, range(8, 15))
                for width, height in ((1920, 1080), (1366, 768)):
                    hall = page(width, height, "/display")
                    hall.wait_for_function("document.querySelectorAll('.tile').length === 14")
                    post(srv, "/api/counters/3/call-next", officer)
                    hall.wait_for_function("document.querySelector('.tile.speaking')")
                    save(hall, f"display-14-{width}x{height}.png" if width != 1920 else "display-14.png")
                    hall.context.close()
                burst(srv, officer, kiosk_device, page(1366, 768, "/display"), save)
                desks(page, save, token, boss)
                shoot_reports(browser, out, save)
                browser.close()
            for connection in present:
                connection.disconnect()
        finally:
            srv.stop()


def shoot_reports(browser, out: Path, save):
    """The reports page on the peak day the report tests simulate (650 tickets, 7 then 14 counters)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from test_reports import DAY, generate_peak_day

    with tempfile.TemporaryDirectory() as tmp:
        srv = Server(Path(tmp))
        generate_peak_day(Path(tmp) / "motcua.db")
        boss = srv.cli("token", "create", "--role", "supervisor").splitlines()[-1]
        srv.start()
        try:
            ctx = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="vi-VN")
            pg = ctx.new_page()
            pg.goto(srv.url + "/reports")
            pg.fill("#token", boss)
            pg.click("#login-form button[type=submit]")
            pg.locator("#summary").wait_for()
            day = DAY.strftime("%d/%m/%Y")
            pg.goto(f"{srv.url}/reports?from={day}&to={day}&plan=30/11/2026")
            pg.wait_for_function("document.fonts.status === 'loaded'")
            save(pg, "reports.png")
            pg.locator("#capacity").screenshot(path=str(out / "reports-capacity.png"))
            print(out / "reports-capacity.png")
            ctx.close()
        finally:
            srv.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    shoot(Path(parser.parse_args().out))
