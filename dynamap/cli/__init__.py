"""The `dynamap` command line: create-tables, plan, describe, drop-tables, local,
import and export.

It needs the `cli` extra (click and rich): `pip install "dynamap[cli]"`. `main` is
the console script and `python -m dynamap`; the click group itself is
`dynamap.cli.app.cli` (for click's `CliRunner`).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["main"]

MISSING_EXTRA = 'dynamap: the command line needs click and rich: pip install "dynamap[cli]"'


def main(argv: Sequence[str] | None = None) -> None:
    """Run the `dynamap` command with `argv` (default: the process arguments) and exit."""
    try:
        import click  # noqa: F401
        import rich  # noqa: F401
    except ImportError:
        print(MISSING_EXTRA, file=sys.stderr)
        raise SystemExit(2) from None
    from dynamap.cli.app import cli

    cli.main(args=list(argv) if argv is not None else None, prog_name="dynamap")
