"""The root of the ``nimbus`` command."""

from __future__ import annotations

import sys

import typer
from typer.core import TyperGroup

from nimbus import __version__
from nimbus.cli.arguments import ArgumentError, lift_global_flags
from nimbus.cli.commands import (
    auth,
    billing,
    clock,
    compute,
    config,
    iam,
    projects,
    quotas,
    recommender,
    services,
    storage,
)
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
for group in (
    projects.app,
    iam.app,
    services.app,
    compute.app,
    quotas.app,
    storage.app,
    billing.app,
    recommender.app,
    clock.app,
    auth.app,
    config.app,
):
    app.add_typer(group)


@app.command()
def version() -> None:
    """Print the version of this Nimbus."""
    print(f"nimbus {__version__}")


def main() -> None:
    """Run one command; every failure is one line on stderr and a non-zero exit."""
    argv = sys.argv[1:]
    command = typer.main.get_command(app)
    try:
        flags, argv = lift_global_flags(argv)
        command.main(args=argv, prog_name="nimbus", obj=flags, standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        _fail(command, argv, "aborted.", 1)
    except CliError as exc:
        _fail(command, argv, str(exc), exc.exit_code)
    except ArgumentError as exc:
        _fail(command, argv, str(exc), 2)
    except typer.exceptions.TyperException as exc:
        format_message = getattr(exc, "format_message", None)
        if type(exc).__name__ == "NoArgsIsHelpError":
            # Building this error renders the group's help (Rich prints it at once).
            help_text = format_message() if format_message else ""
            if help_text.strip():
                print(help_text)
            sys.exit(0)
        message = format_message() if format_message else str(exc)
        _fail(command, argv, message, getattr(exc, "exit_code", 2))
    except KeyboardInterrupt:
        sys.exit(130)


def _fail(root: object, argv: list[str], message: str, code: int) -> None:
    print(f"ERROR: ({_command_path(root, argv)}) {' '.join(message.split())}", file=sys.stderr)
    sys.exit(code)


def _command_path(root: object, argv: list[str]) -> str:
    """gcloud names the failing command in its errors: ``nimbus.iam.service-accounts.list``."""
    path, node = ["nimbus"], root
    for token in argv:
        if token == "--" or not isinstance(node, TyperGroup):
            break
        found = node.commands.get(token)
        if found is None:
            if token.startswith("-"):
                continue
            break
        path.append(token)
        node = found
    return ".".join(path)
