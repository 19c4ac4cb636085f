"""Run the action server: `python -m actions [--port N]`."""

from __future__ import annotations

import argparse

from actions.server import serve
from bot.config import load_settings


def main() -> None:
    settings = load_settings()
    parser = argparse.ArgumentParser(description="ERP assistant action server")
    parser.add_argument("--port", type=int, default=settings.actions_port)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    serve(args.host, args.port)


if __name__ == "__main__":
    main()
