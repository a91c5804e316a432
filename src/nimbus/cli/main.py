"""The root of the ``nimbus`` command."""

from __future__ import annotations

import sys

import typer

from nimbus import __version__
from nimbus.cli.arguments import ArgumentError, lift_global_flags
from nimbus.cli.commands.up import up
from nimbus.cli.failures import CliError

app = typer.Typer(
    name="nimbus",
    help="Nimbus: a Google-Cloud-compatible cloud you run yourself.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command()(up)


@app.command()
def version() -> None:
    """Print the version of this Nimbus."""
    print(f"nimbus {__version__}")


def main() -> None:
    """Run one command; every failure is one line on stderr and a non-zero exit."""
    try:
        flags, argv = lift_global_flags(sys.argv[1:])
        command = typer.main.get_command(app)
        command.main(args=argv, prog_name="nimbus", obj=flags, standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        _fail("aborted.", 1)
    except CliError as exc:
        _fail(str(exc), exc.exit_code)
    except ArgumentError as exc:
        _fail(str(exc), 2)
    except typer.exceptions.TyperException as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":
            command.main(args=[*argv, "--help"], prog_name="nimbus", standalone_mode=False)
            sys.exit(0)
        format_message = getattr(exc, "format_message", None)
        _fail(format_message() if format_message else str(exc), getattr(exc, "exit_code", 2))
    except KeyboardInterrupt:
        sys.exit(130)


def _fail(message: str, code: int) -> None:
    print(f"ERROR: (nimbus) {' '.join(message.split())}", file=sys.stderr)
    sys.exit(code)
