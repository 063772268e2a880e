"""The `dynamap` command group: its commands, `--debug`, and how failures are reported.

Every failure becomes one line on stderr, `error: <problem>; <fix>`, and a non-zero
exit code (see `dynamap.cli.errors`); `--debug` prints the traceback before it.
"""

from __future__ import annotations

import traceback
from typing import Any

import click

from dynamap import __version__
from dynamap.cli.errors import EXIT_ERROR, EXIT_INTERRUPTED, CommandError, one_line
from dynamap.cli.local import local
from dynamap.cli.tables import create_tables, describe, drop_tables, plan
from dynamap.cli.transfer import export, import_

__all__ = ["cli"]


class _Group(click.Group):
    """A command group that reports errors as one line instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except KeyboardInterrupt:
            _report(ctx, "interrupted", EXIT_INTERRUPTED)
        except CommandError as error:
            _report(ctx, one_line(error), error.exit_code)
        except Exception as error:
            _report(ctx, one_line(error), EXIT_ERROR)


def _report(ctx: click.Context, message: str, exit_code: int) -> None:
    if ctx.find_root().params.get("debug"):
        click.echo(traceback.format_exc().rstrip(), err=True)
    click.echo(f"error: {message}", err=True)
    ctx.exit(exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dynamap")
@click.option("--debug", is_flag=True, help="Show the full traceback of an error.")
def cli(debug: bool) -> None:
    """dynamap: create the tables of your models, check them, run a local DynamoDB,
    and move data in and out.

    TARGET is a module or package (imported with its submodules), or a .py file;
    MODEL is module:Class. Connection options fall back to the environment
    (AWS_ENDPOINT_URL_DYNAMODB, AWS_REGION, the AWS credential chain,
    DYNAMAP_TABLE_PREFIX).
    """


for _command in (create_tables, plan, describe, drop_tables, local, import_, export):
    cli.add_command(_command)
