"""What every command shares: settings from the command line and the `--data-dir` option.

Kept apart from the command modules so that none of them imports another for a helper.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from callcenter.settings import Settings


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Settings from the environment and config file, with `--data-dir` applied when given."""
    overrides = {}
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = Path(args.data_dir)
    return Settings(**overrides)  # type: ignore[arg-type]


def add_data_dir(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data-dir",
        metavar="DIR",
        help="where the embedded PostgreSQL and cached models live when DATABASE_URL is unset "
        "(default: ~/.local/share/callcenter)",
    )
