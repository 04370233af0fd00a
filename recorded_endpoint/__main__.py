"""Command line for the recorded endpoint.

    python -m recorded_endpoint serve [--host H] [--port P] [--api-key K] [--timing none|recorded|scaled:F] [--tls]
    python -m recorded_endpoint list
    python -m recorded_endpoint check [--fix]
    python -m recorded_endpoint record [--out DIR] [--prefix P] [--port N] [--tls] [-- COMMAND ...]
"""

from __future__ import annotations

import argparse
import secrets
import shlex
import sys

from . import environment_for
from .constants import DEFAULT_API_KEY, LOOPBACK
from .recorder import add_record_command
from .recordings import RecordingLibrary
from .server import ReplayServer


def serve(args: argparse.Namespace) -> int:
    api_key = args.api_key or DEFAULT_API_KEY
    if args.host not in LOOPBACK and not args.api_key:
        suggestion = secrets.token_urlsafe(12)
        print(
            f"Refusing to listen on {args.host} without a key: anyone on the network could use it.\n"
            f"Choose one and share it with the room, e.g.  --api-key {suggestion}",
            file=sys.stderr,
        )
        return 2
    try:
        server = ReplayServer(host=args.host, port=args.port, api_key=api_key, timing=args.timing, tls=args.tls)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    print(
        f"Recorded endpoint for DeepSeek-R1 on {server.url} "
        f"({len(server.config.library.recordings)} recordings, timing {args.timing})"
    )
    if args.host not in LOOPBACK:
        print(f"Listening beyond loopback on {args.host}: every request must carry the key given with --api-key.")
    print("Export these to point the course, or the seeds' own code, at it:\n")
    if args.host not in LOOPBACK:
        print("# On the learners' machines, replace 127.0.0.1 with this machine's address.")
    for name, value in environment_for(server).items():
        if args.api_key and value == args.api_key:
            print(f"export {name}='<the --api-key value>'")  # a chosen key is not echoed to the terminal
            continue
        print(f"export {name}={shlex.quote(value)}")
    print("\nPress Ctrl+C to stop.", flush=True)
    server.serve_forever()
    return 0


def list_recordings(_: argparse.Namespace) -> int:
    for recording in RecordingLibrary.from_directory().recordings:
        last_user = next((m["content"] for m in reversed(recording.messages) if m["role"] == "user"), "")
        print(f"{recording.name:24} {recording.provenance['kind']:11} {last_user[:70]!r}")
    return 0


def check_recordings(args: argparse.Namespace) -> int:
    from .authoring import check

    return check(fix=args.fix)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m recorded_endpoint", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser("serve", help="run the recorded endpoint in the foreground")
    serve_parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve_parser.add_argument("--port", type=int, default=8000)
    serve_parser.add_argument("--api-key", help="the key clients must send (required beyond loopback)")
    serve_parser.add_argument("--timing", default="recorded", help="none | recorded | scaled:F (default recorded)")
    serve_parser.add_argument("--tls", action="store_true", help="serve https with a throwaway certificate authority")
    serve_parser.set_defaults(run=serve)
    commands.add_parser("list", help="list the recordings").set_defaults(run=list_recordings)
    check_parser = commands.add_parser("check", help="check recorded usage against the DeepSeek-R1 tokenizer")
    check_parser.add_argument("--fix", action="store_true", help="rewrite the usage of authored recordings")
    check_parser.set_defaults(run=check_recordings)
    add_record_command(commands)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
