"""The `motcua` command: init, serve, backup, token create/list/revoke, device
invite/list/revoke, voice build, print-test, printer-agent.

Imports stay inside the commands: `serve` in eventlet mode must monkey-patch
before Flask, Socket.IO or threading are imported (see shared/server.py).
"""
import argparse
import sqlite3
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from .config import LOCAL_PRINTER_KINDS, Config, ConfigError, async_mode, read_raw, validate, validate_printer_config


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="motcua", description="Queue tickets for one-stop service centers.")
    parser.add_argument("--config", help="config file (default: $MOTCUA_CONFIG or ./config.yaml)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("init", help="create the database and seed fields and counters")
    serve = commands.add_parser("serve", help="run the server")
    serve.add_argument("--host", help="address to listen on (default: server.host)")
    serve.add_argument("--port", type=int, help="port (default: server.port)")
    backup = commands.add_parser("backup", help="copy the database consistently, even while the server runs")
    backup.add_argument("path", help="the copy to write (a file; replaced if it exists)")
    token = commands.add_parser("token", help="manage API tokens")
    token_commands = token.add_subparsers(dest="token_command", required=True)
    create = token_commands.add_parser("create", help="create a token; it is printed once, on the last line")
    create.add_argument("--role", choices=("officer", "supervisor"), required=True)
    create.add_argument("--name", default="", help="who holds it, for the audit log")
    token_commands.add_parser("list", help="list tokens by id, role and holder")
    revoke = token_commands.add_parser("revoke", help="stop a token from working")
    revoke.add_argument("id", type=int, help="the token's id, from `motcua token list`")
    device = commands.add_parser("device", help="enrol kiosks, rating tablets and hall displays")
    device_commands = device.add_subparsers(dest="device_command", required=True)
    invite = device_commands.add_parser("invite", help="print a one-time enrolment link for a device")
    invite.add_argument("--kind", choices=("kiosk", "rating", "display"), required=True)
    invite.add_argument("--name", help="the device's name (default: the counter's, for a rating tablet)")
    invite.add_argument("--counter", type=int, help="the counter a rating tablet (or a counter-top display)"
                                                       " belongs to")
    device_commands.add_parser("list", help="list enrolled and invited devices")
    revoke_device = device_commands.add_parser("revoke", help="stop a device from working")
    revoke_device.add_argument("id", type=int, help="the device's id, from `motcua device list`")
    voice = commands.add_parser("voice", help="announcement clips")
    voice_commands = voice.add_subparsers(dest="voice_command", required=True)
    voice_commands.add_parser("build", help="generate the clip set with espeak-ng (voice.clip_set)")
    print_test = commands.add_parser("print-test", help="print a sample ticket on the configured printer")
    print_test.add_argument("--to-png", metavar="FILE", help="write the ticket image to FILE instead")
    agent = commands.add_parser("printer-agent", help="print this kiosk's tickets on a local printer")
    agent.add_argument("--server", required=True, help="server URL, e.g. http://192.168.1.10:5000")
    agent.add_argument("--enrol", metavar="CODE",
                       help="once: the one-time code of a kiosk invitation (`motcua device invite --kind kiosk`),"
                            " exchanged for the kiosk's credential, kept in --credential")
    agent.add_argument("--credential", metavar="FILE",
                       help="the kiosk's credential (default: printer-agent.secret beside the config file)")
    return parser


def _report_counter_names(config: Config) -> None:
    """Say which counter names (config and database) the clips cannot say: the display reads
    those as "quầy số N"."""
    from .voice import uncovered_names

    names = {c.name for c in config.counters}
    if Path(config.database.path).is_file():
        from .db import connect

        db = connect(config.database.path)
        try:
            names |= {row[0] for row in db.execute("SELECT name FROM counters").fetchall()}
        finally:
            db.conn.close()
    missing = uncovered_names(sorted(names), config.voice)
    for name, words in missing.items():
        print(f"Not covered: {name!r} (no clip for {', '.join(words)}): read as \"quầy số N\"; "
              "add the words to voice.words and build again")
    if not missing:
        print(f"Every counter name is covered ({len(names)} names).")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "printer-agent":
        return _printer_agent(args)
    try:
        raw, path = read_raw(args.config)
        if args.command == "serve":
            from .server import prepare

            prepare(async_mode(raw))  # eventlet patches before the rest is imported
        config = validate(raw, base_dir=path.parent)
    except ConfigError as exc:
        print(f"motcua: config error: {exc}", file=sys.stderr)
        return 2
    from .logs import configure

    configure(config.server)
    if args.command in ("init", "serve", "token", "device", "backup"):
        try:
            return _backup(args, config) if args.command == "backup" else _with_database(args, config)
        except (sqlite3.OperationalError, sqlite3.DatabaseError, PermissionError) as exc:
            print(f"motcua: database {config.database.path}: {exc}. Check that the file and its "
                  "folder exist and are writable by the user running motcua.", file=sys.stderr)
            return 1
    if args.command == "voice":
        if not config.voice.clip_dir:
            print("motcua: voice.clip_dir: set the folder to build clips into; the clips shipped "
                  "inside the package are never overwritten", file=sys.stderr)
            return 2
        from .voice import clip_set_dir
        from .voice_clips import build_clips

        try:
            paths = build_clips(clip_set_dir(config.voice), config.voice)
        except RuntimeError as exc:  # espeak-ng missing: the message says what to install
            print(f"motcua: {exc}", file=sys.stderr)
            return 1
        print(f"Wrote {len(paths)} clips to {clip_set_dir(config.voice)}")
        _report_counter_names(config)
        return 0
    from .printer_devices import print_test  # print-test

    try:
        print(print_test(config.printer, args.to_png))
    except (OSError, ValueError) as exc:
        print(f"motcua: printer error: {exc}", file=sys.stderr)
        return 1
    return 0


def _backup(args, config: Config) -> int:
    """Only copies: upgrading here would change a database that an older server
    still runs on (a nightly backup during an upgrade)."""
    from pathlib import Path

    from .db import backup, connect

    source = config.database.path
    if source == ":memory:" or not Path(source).is_file():
        print(f"motcua: no database at {source} to back up", file=sys.stderr)
        return 1
    db = connect(source)
    try:
        print(f"Backup written: {backup(db, args.path)}")
    finally:
        db.conn.close()
    return 0


def _with_database(args, config: Config) -> int:
    """Every database command first brings the database up to date (backup + migrations)."""
    from .db import connect, init_database

    db = connect(config.database.path)
    try:
        applied = init_database(db, config)
        if applied:
            print(f"Database upgraded ({len(applied)} migration(s), after a backup beside it): {', '.join(applied)}",
                  flush=True)
        if args.command != "serve":
            return _database_command(args, config, db)
    finally:
        db.conn.close()
    from .server import serve

    return serve(config, host=args.host, port=args.port)


def _database_command(args, config: Config, db) -> int:
    """init, token and device: the commands that only need the database."""
    from . import auth, enrolment

    at = datetime.now(ZoneInfo(config.center.timezone))
    if args.command == "init":
        from .db import secret_key

        secret_key(config.database.path)
        print(f"Database ready: {config.database.path}")
    elif args.command == "token" and args.token_command == "create":
        token = auth.create_token(db, args.role, args.name, at)
        print(f"New {args.role} token (stored hashed; copy it now, it is not shown again):")
        print(token)
    elif args.command == "token" and args.token_command == "list":
        for row in auth.list_tokens(db):
            print(f"{row['id']:>4}  {row['role']:<10}  {row['created_at']}  {row['name']}")
    elif args.command == "device" and args.device_command == "invite":
        try:
            print(enrolment.invite_link(config, db, args.kind, args.name, args.counter, at))
        except ValueError as exc:
            print(f"motcua: {exc}", file=sys.stderr)
            return 1
    elif args.command == "device" and args.device_command == "list":
        for row in auth.list_devices(db):
            state = f"enrolled {row['enrolled_at']}" if row["enrolled_at"] else f"invited until {row['invite_until']}"
            counter = f"counter {row['counter_id']}" if row["counter_id"] else ""
            print(f"{row['id']:>4}  {row['kind']:<7}  {row['name']:<20}  {counter:<11} {state}")
    else:
        revoke = auth.revoke_token if args.command == "token" else auth.revoke_device
        if not revoke(db, args.id, at):
            print(f"motcua: no {args.command} with id {args.id}", file=sys.stderr)
            return 1
        print(f"{args.command.capitalize()} {args.id} revoked.")
    return 0


def _printer_agent(args) -> int:
    """Needs only the `printer:` section of the local config, not a whole center."""
    import logging
    import os

    import requests

    from .printer_agent import PrinterAgent, enrol

    try:
        raw, path = read_raw(args.config)
        cfg = validate_printer_config((raw or {}).get("printer") if isinstance(raw, dict) else None)
        if cfg.kind not in LOCAL_PRINTER_KINDS:
            raise ConfigError(f"printer.kind: must be one of {', '.join(LOCAL_PRINTER_KINDS)} on the kiosk PC")
    except (ConfigError, ValueError) as exc:
        print(f"motcua: config error: {exc}", file=sys.stderr)
        return 2
    credential = Path(args.credential or path.parent / "printer-agent.secret")
    if args.enrol:
        try:
            enrolled = enrol(args.server, args.enrol)
        except requests.RequestException as exc:
            print(f"motcua: enrolment refused: {exc}", file=sys.stderr)
            return 1
        if enrolled["device"]["kind"] != "kiosk":
            print("motcua: that code enrols a rating tablet, not a kiosk", file=sys.stderr)
            return 1
        with os.fdopen(os.open(credential, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
            out.write(enrolled["secret"])
        print(f"enrolled as the printer of kiosk {enrolled['device']['name']!r}; credential in {credential}")
    try:
        secret = credential.read_text(encoding="utf-8").strip()
    except OSError:
        print(f"motcua: no kiosk credential in {credential}: run once with --enrol CODE", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    PrinterAgent(args.server, secret, cfg).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
