"""Command-line commands of the service area: serve, db, user, export, demo."""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from cryotx.cli._common import fail, refusals
from cryotx.services import auth, demo, fhir
from cryotx.services._common import Actor, Conflict, NotFound
from cryotx.store.db import Database

__all__ = ["register"]

db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
user_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
export_app = typer.Typer(help="Export records.", no_args_is_help=True)


def _database() -> Database:
    from cryotx.config import get_settings

    database = Database(get_settings().resolved_database_url())
    database.upgrade()
    return database


def _cli_actor(role: str) -> Actor:
    return Actor(user_id=0, username=f"cli:{getpass.getuser()}", role=role)


def serve(
    host: Annotated[
        str, typer.Option(help="Address to listen on.", envvar="CRYOTX_HOST")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.", envvar="CRYOTX_PORT", min=1, max=65535)] = 8000,
) -> None:
    """Start the record service and the clinician pages (migrates the database first)."""
    import uvicorn

    # By name: the composition root sits outside the cli | api | web layers.
    uvicorn.run(
        "cryotx.asgi:create_app",
        factory=True,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
    )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Run the database migrations up to the newest schema."""
    database = _database()
    print(f"database at newest schema ({database.engine.dialect.name})")
    database.dispose()


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="Login name (a-z, 0-9, _ . -).")],
    role: Annotated[str, typer.Option("--role", help="admin, clinician or operator.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    one_time: Annotated[
        bool,
        typer.Option(
            "--one-time/--permanent",
            help="One-time: the user must replace the password at the first login "
            "(for an account made for someone else).",
        ),
    ] = False,
) -> None:
    """Create a staff account; the password is prompted for (or read from stdin)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with refusals():
        data = auth.UserCreate(
            username=username, password=password, role=role, must_change_password=one_time
        )
        database = _database()
        try:
            user = auth.create_user(database, _cli_actor("admin"), data)
        except Conflict as error:
            fail(error.field, error.message)
        finally:
            database.dispose()
    print(f"created {user.role} {user.username!r} (id {user.id})")


@user_app.command("passwd")
def user_passwd(
    username: Annotated[str, typer.Argument(help="Login name of the account.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    one_time: Annotated[
        bool,
        typer.Option(
            "--one-time/--permanent",
            help="One-time (the default): the user must replace it at the next login.",
        ),
    ] = True,
) -> None:
    """Set an account's password as the server's administrator; ends the account's logins.

    The password is prompted for twice, hidden (or read from stdin).  It is one-time
    unless ``--permanent``: the user replaces it at the next login.  Users change their
    own password on the page /account/password or with POST /api/auth/password.
    """
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    with refusals():
        data = auth.UserUpdate(password=password, must_change_password=one_time)
        database = _database()
        actor = _cli_actor("admin")
        try:
            user = auth.find_user(database, actor, username)
            auth.update_user(database, actor, user.id, data)
        except NotFound:
            fail("username", f"no account named {username!r}")
        finally:
            database.dispose()
    kind = "one-time password (to be replaced at the next login)" if one_time else "password"
    print(f"new {kind} set for {user.role} {user.username!r}; its logins were ended")


@export_app.command("fhir")
def export_fhir(
    patient_id: Annotated[int, typer.Argument(help="Patient id.", min=1)],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file, not stdout.")
    ] = None,
) -> None:
    """Print the patient's whole record as a FHIR R4 Bundle (JSON)."""
    database = _database()
    with refusals():
        try:
            bundle = fhir.export_patient_bundle(database, _cli_actor("clinician"), patient_id)
        except NotFound as error:
            fail("patient_id", str(error))
        finally:
            database.dispose()
    text = json.dumps(bundle, indent=2, ensure_ascii=False)
    if output is None:
        print(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")


def demo_clinic() -> None:
    """Create the demo clinic and print its logins (new passwords each time)."""
    database = _database()
    try:
        logins = demo.create_demo_clinic(database)
    finally:
        database.dispose()
    print("Demo logins (passwords generated now, shown once):")
    for login in logins:
        print(f"  {login.role:<10} {login.username:<16} {login.password}")


def register(app: typer.Typer) -> None:
    """Add this area's commands to app."""
    app.command("serve")(serve)
    app.command("demo")(demo_clinic)
    app.add_typer(db_app, name="db")
    app.add_typer(user_app, name="user")
    app.add_typer(export_app, name="export")
