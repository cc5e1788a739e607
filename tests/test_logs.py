"""The server's log: stderr by default, a rotating file with server.log_file."""
import logging
import logging.handlers
import re

import requests

from shared.logs import configure


def test_stderr_by_default_and_a_rotating_file_when_set(tmp_path):
    root = logging.getLogger()
    before = root.handlers[:], root.level
    try:
        assert type(configure({"log_file": ""})) is logging.StreamHandler
        handler = configure({"log_file": str(tmp_path / "motcua.log")})
        assert isinstance(handler, logging.handlers.RotatingFileHandler) and handler.maxBytes > 0
        logging.getLogger("motcua.access").info("GET /kiosk 200 1.0ms")
        handler.flush()
        assert "INFO motcua.access: GET /kiosk 200 1.0ms" in (tmp_path / "motcua.log").read_text(encoding="utf-8")
    finally:
        root.handlers[:], _ = before
        root.setLevel(before[1])


def test_a_server_with_a_log_file_writes_its_access_lines_there(make_server, tmp_path):
    server = make_server("eventlet", {"server": {"log_file": "logs-motcua.log"}}).start()
    assert requests.get(server.url + "/api/services", timeout=5).ok
    assert requests.get(server.url + "/no-such-page", timeout=5).status_code == 404
    server.kill()
    text = (tmp_path / "logs-motcua.log").read_text(encoding="utf-8")
    assert re.search(r"motcua\.access: GET /api/services 200 \d+\.\dms", text)
    assert re.search(r"motcua\.access: GET /no-such-page 404 \d+\.\dms", text)
