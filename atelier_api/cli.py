"""Command line: ``atelier-api serve`` runs the server; ``atelier-api openapi`` writes the spec."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import Any

from atelier_api.adapters.discovery import AdapterLoadError
from atelier_api.config import ConfigError, Settings, load_settings

log = logging.getLogger("atelier_api")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command."""
    parser = argparse.ArgumentParser(prog="atelier-api", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="run the server (gunicorn, one process, threads)")
    _server_options(serve)
    spec = sub.add_parser("openapi", help="print the OpenAPI document (or write it to a file)")
    spec.add_argument("--output", "-o", help="file to write instead of standard output")
    reset = sub.add_parser("reset", help="bring a namespace back to its original state (the "
                           "cloned commit or the first snapshot), without a running server")
    reset.add_argument("--namespace", required=True, metavar="NS", help="namespace to reset")
    reset.add_argument("--config", help="TOML configuration file (ATELIER_CONFIG)")
    reset.add_argument("--state-dir", dest="state_dir")
    launcher = sub.add_parser("launcher", help="run the launcher: each user's own sandbox on "
                              "demand, and the proxy to it (docs/launcher.md)")
    launcher.add_argument("--config", help="TOML configuration file (ATELIER_LAUNCHER_CONFIG)")
    for flag in ("host", "backend", "image", "engine-url", "state-dir", "log-level"):
        launcher.add_argument(f"--{flag}", dest=flag.replace("-", "_"))
    launcher.add_argument("--port", type=int)
    launcher.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                          dest="assignments", help="any launcher setting (repeatable)")
    launcher.add_argument("--hash-password", action="store_true", help="read a password "
                          "from standard input, print its password_hash for the users table")
    return parser


def _server_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="TOML configuration file (ATELIER_CONFIG)")
    parser.add_argument("--namespace", action="append", default=[], metavar="NAME=DIR",
                        help="serve DIR as namespace NAME (repeatable)")
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    parser.add_argument("--username")
    parser.add_argument("--password")
    parser.add_argument("--auth", choices=["basic", "none"])
    parser.add_argument("--layout")
    parser.add_argument("--state-dir", dest="state_dir")
    parser.add_argument("--threads", type=int)
    parser.add_argument("--compiler")
    parser.add_argument("--log-level", dest="log_level")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        dest="assignments", help="any setting of the README's table "
                        "(repeatable); the named flags above win over it")


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Settings from the command line on top of the file and the environment."""
    cli: dict[str, Any] = assignments(args.assignments)
    named = {k: getattr(args, k) for k in ("host", "port", "username", "password", "auth",
                                            "layout", "state_dir", "threads", "compiler",
                                            "log_level")}
    cli.update({k: v for k, v in named.items() if v is not None})
    return load_settings(config_file=args.config, cli=cli, cli_namespaces=args.namespace)


def assignments(items: list[str]) -> dict[str, str]:
    """``--set KEY=VALUE`` arguments as settings (values are parsed like the environment's)."""
    from atelier_api.options import OPTION_BY_KEY

    found: dict[str, str] = {}
    for item in items:
        key, eq, value = item.partition("=")
        key = key.strip().lower().replace("-", "_")
        if not eq or key not in OPTION_BY_KEY:
            raise ConfigError(f"--set {item!r}: expected KEY=VALUE with a setting of the "
                              "README's table as KEY")
        if key == "namespaces":
            raise ConfigError("--set namespaces=...: use --namespace NAME=DIR")
        found[key] = value
    return found


def serve(settings: Settings) -> None:
    """Validate everything in the parent, then run gunicorn with one threaded worker."""
    from atelier_api.serve import run

    run(settings)


def _launcher(args: argparse.Namespace) -> int:
    from atelier_api.launcher.settings import (
        OPTION_BY_KEY,
        LauncherConfigError,
        hash_password,
        load_launcher_settings,
    )

    if args.hash_password:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            print("atelier-api launcher: no password on standard input", file=sys.stderr)
            return 2
        print(hash_password(password))
        return 0
    cli: dict[str, Any] = {}
    for item in args.assignments:
        key, eq, value = item.partition("=")
        key = key.strip().lower().replace("-", "_")
        if not eq or key not in OPTION_BY_KEY:
            print(f"atelier-api launcher: --set {item!r}: expected KEY=VALUE with a launcher "
                  "setting as KEY (docs/launcher.md)", file=sys.stderr)
            return 2
        cli[key] = value
    cli.update({k: getattr(args, k) for k in ("host", "port", "backend", "image", "engine_url",
                                              "state_dir", "log_level")
                if getattr(args, k) is not None})
    try:
        settings = load_launcher_settings(config_file=args.config, cli=cli)
    except LauncherConfigError as exc:
        print(f"atelier-api launcher: {exc}", file=sys.stderr)
        return 2
    from atelier_api.launcher_serve import StartError, run

    try:
        run(settings)
    except StartError as exc:
        print(f"atelier-api launcher: {exc}", file=sys.stderr)
        return 1
    return 0


def write_openapi(output: str | None) -> None:
    """Generate the OpenAPI document from the app (stable key order, trailing newline)."""
    from atelier_api.openapi import generate

    text = json.dumps(generate(), indent=2, ensure_ascii=False) + "\n"
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``atelier-api`` console script."""
    args = build_parser().parse_args(argv)
    command: Any = args.command or "serve"
    if args.command is None:
        args = build_parser().parse_args(["serve", *(argv or [])])
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: "
                                                   "%(message)s")
    try:
        if command == "serve":
            serve(settings_from_args(args))
        elif command == "launcher":
            return _launcher(args)
        elif command == "openapi":
            write_openapi(args.output)
        elif command == "reset":
            from atelier_api.operations import reset_offline

            settings = load_settings(config_file=args.config, cli={"state_dir": args.state_dir})
            print(json.dumps(reset_offline(settings, args.namespace), indent=2))
    except (ConfigError, AdapterLoadError) as exc:
        print(f"atelier-api: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
