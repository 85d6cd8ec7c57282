"""The ``cryotx`` command line (Typer + Rich).

Each area registers its own commands, so that the modules stay small and thin:
``physics`` (simulate, validate), ``clinical`` (vocab, screen, plan) and ``service``
(serve, db, user, export).
"""

from __future__ import annotations

import typer

from cryotx import __version__
from cryotx.cli import clinical, physics, service

__all__ = ["app", "main"]

app = typer.Typer(
    name="cryotx",
    help="CryoTx: decision support and records for cryotherapy (for trained staff).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        print(f"cryotx {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """CryoTx command line."""


for _area in (physics, clinical, service):
    _area.register(app)


def main() -> None:
    """Entry point of the ``cryotx`` script."""
    app()
