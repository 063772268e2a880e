"""Terminal output: results on stdout, progress and notes on stderr.

Progress displays are transient: they show while the work runs and give way to the
command's summary line when it is done. They are shown only when stderr is a
terminal, so logs and pipes get the summary alone.

Keeping progress on stderr leaves stdout clean for what a command produces (the
`--dry-run` JSON pipes straight into `aws dynamodb create-table --cli-input-json`).
"""

from __future__ import annotations

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

__all__ = ["RateColumn", "counter", "echo", "note", "progress_bar", "status_console"]


def echo(message: str = "") -> None:
    """Print one line of a command's result on stdout."""
    click.echo(message)


def note(message: str) -> None:
    """Print a remark on stderr (not part of the result)."""
    click.echo(message, err=True)


def status_console() -> Console:
    """A console on stderr for spinners and progress bars."""
    return Console(stderr=True)


class RateColumn(ProgressColumn):
    """Rows per second, e.g. "1,234 rows/s"."""

    def __init__(self, unit: str = "rows") -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        """The task's current rate."""
        speed = task.finished_speed or task.speed
        shown = "-" if speed is None else f"{speed:,.0f}"
        return Text(f"{shown} {self.unit}/s", style="progress.data.speed")


def progress_bar(unit: str = "rows") -> Progress:
    """A progress bar with count, rate and elapsed time, for a known total."""
    console = status_console()
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(unit),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


def counter(unit: str = "items") -> Progress:
    """A spinner with count, rate and elapsed time, for an unknown total."""
    console = status_console()
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed:,.0f} " + unit),
        RateColumn(unit),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
