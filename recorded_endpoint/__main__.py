"""Command line for the recorded endpoint.

    python -m recorded_endpoint serve [--host H] [--port P] [--api-key K] [--timing none|recorded|scaled:F] [--tls]
                                      [--max-connections N]
    python -m recorded_endpoint cli-standin DIR
    python -m recorded_endpoint list
    python -m recorded_endpoint check [--fix]
    python -m recorded_endpoint record [--out DIR] [--prefix P] [--port N] [--tls] [-- COMMAND ...]
"""

from __future__ import annotations

import argparse
import json
import secrets
import shlex
import sys
import tempfile
from pathlib import Path

from . import environment_for
from .cli_standin import write_tools
from .constants import DEFAULT_API_KEY, LOOPBACK, RECORDED_TENANT_ID
from .recorder import add_record_command
from .recordings import Recording, RecordingLibrary
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
        server = ReplayServer(
            host=args.host,
            port=args.port,
            api_key=api_key,
            timing=args.timing,
            tls=args.tls,
            max_connections=args.max_connections,
        )
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    print(
        f"Recorded endpoint for DeepSeek-R1 on {server.url} "
        f"({len(server.config.library.recordings)} recordings, timing {args.timing})"
    )
    if args.host not in LOOPBACK:
        print(f"Listening beyond loopback on {args.host}: every request must carry the key given with --api-key.")
    with tempfile.TemporaryDirectory(prefix="recorded-cli-") as tools:
        print_exports(server, args.api_key, write_tools(Path(tools)), beyond_loopback=args.host not in LOOPBACK)
        print("\nPress Ctrl+C to stop.", flush=True)
        server.serve_forever()
    return 0


def exports(server: ReplayServer, tools: Path) -> dict[str, str]:
    """What ``serve`` prints: the course's variables, the official SDK samples' and the az/azd stand-ins."""
    env = environment_for(server)
    return {
        **env,
        # The azure-ai-inference samples (sample_chat_completions*.py) read these two.
        "AZURE_AI_CHAT_ENDPOINT": server.url,
        "AZURE_AI_CHAT_KEY": server.api_key,
        # deepseek-python reads AZURE_TENANT_ID, AZURE_INFERENCE_ENDPOINT and AZURE_DEEPSEEK_DEPLOYMENT, and signs
        # in with AzureDeveloperCliCredential: the azd stand-in on PATH answers it offline.
        "AZURE_TENANT_ID": RECORDED_TENANT_ID,
        "AZURE_TOKEN_CREDENTIALS": "AzureCliCredential",  # DefaultAzureCredential goes straight to the az stand-in
        "PATH": f"{tools}:$PATH",
    }


def print_exports(server: ReplayServer, chosen_key: str | None, tools: Path, beyond_loopback: bool) -> None:
    print("Export these to point the course, the seeds' code or the SDK samples at it:\n")
    if beyond_loopback:
        print("# On the learners' machines, replace 127.0.0.1 with this machine's address, and run")
        print("# `python -m recorded_endpoint cli-standin DIR` there for the az/azd stand-ins.")
    for name, value in exports(server, tools).items():
        if chosen_key and value == chosen_key:
            print(f"export {name}='<the --api-key value>'")  # a chosen key is not echoed to the terminal
        elif name == "PATH":
            print(f'export PATH="{value}"  # offline az and azd for AzureCliCredential / AzureDeveloperCliCredential')
        else:
            print(f"export {name}={shlex.quote(value)}")


def cli_standin(args: argparse.Namespace) -> int:
    tools = write_tools(Path(args.directory).resolve())
    print(f"Wrote az and azd stand-ins to {tools}. Put them first on PATH:\n")
    print(f'export PATH="{tools}:$PATH"')
    print("export AZURE_TOKEN_CREDENTIALS=AzureCliCredential")
    print("They sign tokens with AZURE_OPENAI_API_KEY: export the room key under that name too.")
    return 0


def model_label(recording: Recording) -> str:
    """The model a recording came from, as its file names it: ``DeepSeek-R1 v1``, or ``?`` when it names none."""
    model = json.loads(recording.path.read_text(encoding="utf-8")).get("model") or {}
    name = model.get("name") or "?"
    return f"{name} v{model['version']}" if model.get("version") else name


def list_recordings(_: argparse.Namespace) -> int:
    for recording in RecordingLibrary.from_directory().recordings:
        last_user = next((m["content"] for m in reversed(recording.messages) if m["role"] == "user"), "")
        print(f"{recording.name:24} {recording.provenance['kind']:11} {model_label(recording):16} {last_user[:60]!r}")
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
    serve_parser.add_argument(
        "--max-connections", type=int, help="connections held at once before 503 (default beyond loopback: 1000)"
    )
    serve_parser.set_defaults(run=serve)
    standin_parser = commands.add_parser("cli-standin", help="write offline az/azd stand-ins for Entra ID sign-in")
    standin_parser.add_argument("directory", help="folder to write az and azd into (then put it first on PATH)")
    standin_parser.set_defaults(run=cli_standin)
    commands.add_parser("list", help="list the recordings").set_defaults(run=list_recordings)
    check_parser = commands.add_parser("check", help="check recorded usage against the DeepSeek-R1 tokenizer")
    check_parser.add_argument("--fix", action="store_true", help="rewrite the usage of authored recordings")
    check_parser.set_defaults(run=check_recordings)
    add_record_command(commands)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
