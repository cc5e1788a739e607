"""`pip install .` (not editable) gives a motcua that inits and serves every page.

The project is copied out of the checkout, built and installed without network
into a fresh venv whose dependencies come from the test venv (a .pth line): so
only what the package itself ships can be found, never the checkout's folders.
"""
import re
import shutil
import subprocess
import sys
import sysconfig
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from conftest import ROOT, Server

PACKAGES = ("shared", "kiosk", "counter", "display", "supervisor")
PAGES = ("/kiosk", "/counter", "/display", "/supervisor", "/devices", "/reports", "/display/counter/1", "/rate/1",
         "/healthz")


class References(HTMLParser):
    """Every src and href of a page."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        self.found += [value for name, value in attrs if name in ("src", "href") and value]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv with motcua installed from a copy of the project; returns its bin folder."""
    work = tmp_path_factory.mktemp("install")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".venv", ".git", "__pycache__", "*.egg-info", "build", "tests", "bench", "docs"))
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    site = subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "test-venv-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                    "--no-build-isolation", str(source)], check=True, timeout=300, cwd=work)
    return venv / "bin"


def test_the_installed_package_holds_every_file_the_server_reads(installed):
    site = Path(subprocess.run([str(installed / "python"), "-c", "import shared; print(shared.__file__)"],
                               capture_output=True, text=True, check=True, cwd=installed).stdout).parent.parent
    assert not str(site).startswith(str(ROOT))
    shipped = subprocess.run(["git", "ls-files", *PACKAGES], capture_output=True, text=True, cwd=ROOT, check=True)
    needed = [name for name in shipped.stdout.splitlines() if not name.endswith(".py")]
    assert any(name.endswith(".ogg") for name in needed) and "shared/schema.sql" in needed
    assert [name for name in needed if not (site / name).is_file()] == []


def test_the_installed_motcua_inits_and_serves_every_page(installed, tmp_path):
    server = Server(tmp_path, "eventlet")
    server.program, server.cwd = [str(installed / "motcua")], tmp_path
    assert "Database ready" in server.cli("init")
    server.start()
    try:
        ticket = requests.post(server.url + "/api/tickets", json={"service": "HT"}, headers=server.kiosk, timeout=10)
        pages = [*PAGES, f"/t/{ticket.json()['token']}"]
        fetched = set()
        for page in pages:
            reply = requests.get(server.url + page, timeout=10)
            assert reply.status_code == 200, page
            parser = References()
            parser.feed(reply.text)
            for link in parser.found:
                url = urljoin(server.url + page, link)
                if urlsplit(url).netloc != urlsplit(server.url).netloc or url in fetched:
                    continue
                fetched.add(url)
                got = requests.get(url, timeout=10)
                assert got.status_code == 200, (page, link)
                for inner in re.findall(r"url\(['\"]?([^'\")]+)", got.text) if url.endswith(".css") else []:
                    assert requests.get(urljoin(url, inner), timeout=10).status_code == 200, (url, inner)
        assert any(url.endswith(".js") for url in fetched) and any(url.endswith(".css") for url in fetched)
        assert requests.get(server.url + "/healthz", timeout=10).json()["version"] == "0.1.0"
    finally:
        server.kill()
