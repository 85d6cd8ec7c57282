"""``cryotx user passwd``: the server's administrator sets an account's password."""

from __future__ import annotations

from typer.testing import CliRunner

from cryotx.cli import app
from cryotx.config import get_settings
from cryotx.services import auth
from cryotx.store.db import Database

runner = CliRunner()
OLD, NEW = "the first long password", "the second long password"


def _database() -> Database:
    return Database(get_settings().resolved_database_url())


def test_passwd_prompts_twice_sets_the_password_and_ends_logins() -> None:
    added = runner.invoke(
        app, ["user", "add", "--role", "operator", "olga", "--password-stdin"], input=OLD + "\n"
    )
    assert added.exit_code == 0, added.output
    db = _database()
    try:
        before = auth.login(db, "olga", OLD, ttl_s=600)
        assert before is not None
        changed = runner.invoke(app, ["user", "passwd", "olga"], input=f"{NEW}\n{NEW}\n")
        assert changed.exit_code == 0, changed.output
        assert "new one-time password" in changed.output and "operator 'olga'" in changed.output
        assert OLD not in changed.output and NEW not in changed.output  # hidden input
        assert auth.authenticate_token(db, before.access_token) is None
        assert auth.login(db, "olga", OLD, ttl_s=60) is None
        after = auth.login(db, "olga", NEW, ttl_s=60)
        assert after is not None and after.password_change_required
        # --permanent: an administrator setting a password the user keeps
        kept = runner.invoke(
            app, ["user", "passwd", "olga", "--permanent", "--password-stdin"], input=OLD + "\n"
        )
        assert kept.exit_code == 0, kept.output
        again = auth.login(db, "olga", OLD, ttl_s=60)
        assert again is not None and not again.password_change_required
    finally:
        db.dispose()


def test_passwd_refuses_unknown_accounts_and_weak_passwords() -> None:
    unknown = runner.invoke(app, ["user", "passwd", "nobody", "--password-stdin"], input=NEW + "\n")
    assert unknown.exit_code == 2 and "username" in unknown.output
    runner.invoke(
        app, ["user", "add", "--role", "clinician", "ivan", "--password-stdin"], input=OLD + "\n"
    )
    weak = runner.invoke(app, ["user", "passwd", "ivan", "--password-stdin"], input="short\n")
    assert weak.exit_code == 2 and "password" in weak.output
    db = _database()
    try:
        assert auth.login(db, "ivan", OLD, ttl_s=60) is not None  # unchanged
    finally:
        db.dispose()
