"""Where the server's log goes: stderr, or a rotating file when server.log_file is set.

Plain `logging` on the root logger, so Flask's, eventlet's and our own records
(one access line per request, every error with its traceback) share one place.
"""
import logging
import logging.handlers
import sys

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
ROTATE_BYTES = 10 * 1024 * 1024
ROTATE_KEEP = 5  # 60 MB at most on the server's disk


def configure(server: dict) -> logging.Handler:
    """Send every record of level INFO and above to the configured place."""
    if server["log_file"]:
        handler = logging.handlers.RotatingFileHandler(server["log_file"], maxBytes=ROTATE_BYTES,
                                                       backupCount=ROTATE_KEEP, encoding="utf-8")
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return handler
