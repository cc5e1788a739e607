"""The `motcua` command: init, serve, token create.

Imports stay inside the commands: `serve` in eventlet mode must monkey-patch
before Flask, Socket.IO or threading are imported (see shared/server.py).
"""
import argparse
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

from .config import ConfigError, async_mode, read_raw, validate


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="motcua", description="Queue tickets for one-stop service centers.")
    parser.add_argument("--config", help="config file (default: $MOTCUA_CONFIG or ./config.yaml)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("init", help="create the database and seed fields and counters")
    serve = commands.add_parser("serve", help="run the server")
    serve.add_argument("--host", help="address to listen on (default: server.host)")
    serve.add_argument("--port", type=int, help="port (default: server.port)")
    token = commands.add_parser("token", help="manage API tokens")
    token_commands = token.add_subparsers(dest="token_command", required=True)
    create = token_commands.add_parser("create", help="create a token; it is printed once, on the last line")
    create.add_argument("--role", choices=("officer", "supervisor"), required=True)
    create.add_argument("--name", default="", help="who holds it, for the audit log")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        raw, path = read_raw(args.config)
        if args.command == "serve":
            from .server import prepare

            prepare(async_mode(raw))  # eventlet patches before the rest is imported
        config = validate(raw, base_dir=path.parent)
    except ConfigError as exc:
        print(f"motcua: config error: {exc}", file=sys.stderr)
        return 2
    if args.command == "serve":
        from .server import serve

        return serve(config, host=args.host, port=args.port)

    from .db import connect, init_database

    db = connect(config["database"]["path"])
    init_database(db, config)
    if args.command == "init":
        print(f"Database ready: {config['database']['path']}")
    elif args.command == "token":
        from .auth import create_token

        at = datetime.now(ZoneInfo(config["center"]["timezone"]))
        token = create_token(db, args.role, args.name, at)
        print(f"New {args.role} token (stored hashed; copy it now, it is not shown again):")
        print(token)
    db.conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
