"""Page handlers for administrators: accounts (list, add, role, deactivate) and the audit log.

Only the ``admin`` role may open these pages (``users.manage`` in ``auth.PERMISSIONS``): a
clinician or an operator gets a 403 page, as the use cases would refuse them too. The
accounts are created and changed through :mod:`cryotx.services.auth` (argon2 hashing, its
password and user-name rules, the audit entry); the audit page reads
:func:`cryotx.services.accounts.audit_trail`, which shows which fields of a patient's
record changed but not their values (administrators see no clinical data).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from cryotx.errors import InputError
from cryotx.services import accounts, auth
from cryotx.web import _forms
from cryotx.web._common import (
    REFUSALS,
    PageUser,
    Visit,
    call,
    call_write,
    check_id,
    field_errors,
    render,
    show,
    submit,
    visit,
)

__all__ = ["USERS_PAGE_SIZE", "router"]

router = APIRouter(include_in_schema=False)

USERS_PAGE_SIZE = 50
AUDIT_PAGE_SIZE = 50
_ROLES = [(role, role.capitalize()) for role in auth.ROLES]
_FILTERS = ("patient_id", "username", "since", "until")
_USERNAME_RULE = (
    "use 3 to 64 characters: lower-case letters, digits, dot, hyphen or underscore, "
    "starting with a letter or digit"
)


def _page_number(page: str) -> int:
    """A hand-edited page number becomes the nearest sensible one, not an error."""
    return min(max(int(page), 1), 100_000) if page.isdigit() else 1


def _pages(total: int, size: int) -> int:
    return max(1, -(-total // size))


# --------------------------------------------------------------------------- accounts


@router.get("/admin/users", response_class=HTMLResponse)
async def user_list(request: Request, page: str = "1") -> Response:
    visit_ = await visit(request, "users.manage")
    number = _page_number(page)

    async def window(n: int) -> tuple[list[auth.UserPublic], int]:
        offset = (n - 1) * USERS_PAGE_SIZE
        return await call(
            auth.list_users, visit_.db, visit_.actor, limit=USERS_PAGE_SIZE, offset=offset
        )

    users, total = await window(number)
    pages = _pages(total, USERS_PAGE_SIZE)
    if number > pages:
        number = pages
        users, total = await window(number)
    context = {"user": visit_.user, "users": users, "total": total, "page": number, "pages": pages}
    return render(request, "users.html", context)


@router.get("/admin/users/new", response_class=HTMLResponse)
async def user_new_form(request: Request) -> Response:
    page = await visit(request, "users.manage")
    return await show(page, "user_new.html", _new_context)


@router.post("/admin/users/new", response_class=HTMLResponse)
async def user_new_submit(request: Request) -> Response:
    page = await visit(request, "users.manage", posted=True)
    assert page.form is not None
    password, generated = _password(page.form)
    try:
        data = auth.UserCreate.model_validate(
            {
                "username": _forms.text(page.form, "username"),
                "role": _forms.text(page.form, "role"),
                "password": password,
            }
        )
        created = await call_write(auth.create_user, page.db, page.actor, data)
    except REFUSALS as error:
        errors = field_errors(error)
        if _username_rule_broken(error):
            errors["username"] = _USERNAME_RULE
        context = _new_context(page, _forms.values(page.form), errors)
        return render(request, "user_new.html", context, status_code=400)
    return _password_page(page, created, generated, heading=f"User {created.username} added")


def _username_rule_broken(error: Exception) -> bool:
    """Whether the refusal is the user-name pattern (its regex is no message for people)."""
    return isinstance(error, ValidationError) and any(
        item["loc"][:1] == ("username",) and item["type"] == "string_pattern_mismatch"
        for item in error.errors()
    )


def _password(form: Any) -> tuple[str, str | None]:
    """The password typed (as typed, not stripped), or a generated one (also returned)."""
    raw = form.get("password")
    typed = raw if isinstance(raw, str) else ""
    if typed:
        return typed, None
    generated = accounts.generate_password()
    return generated, generated


def _password_page(
    page: Visit, account: auth.UserPublic, generated: str | None, *, heading: str
) -> Response:
    """The account as saved, with a generated password shown this once.

    Rendered in answer to the post, not redirected to: nothing can show it again.
    """
    context = {"user": page.user, "account": account, "password": generated, "heading": heading}
    return render(page.request, "user_created.html", context)


def _new_context(page: Visit, values: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    return {"user": page.user, "values": values, "errors": errors, "roles": _ROLES}


@router.get("/admin/users/{user_id}", response_class=HTMLResponse)
async def user_edit_form(request: Request, user_id: int) -> Response:
    page = await visit(request, "users.manage")
    account = await call(auth.get_user, page.db, page.actor, check_id(user_id))
    values = {"role": account.role, "active": "yes" if account.active else "no"}
    return render(request, "user_edit.html", _edit_context(page.user, account, values, {}))


@router.post("/admin/users/{user_id}", response_class=HTMLResponse)
async def user_edit_submit(request: Request, user_id: int) -> Response:
    page = await visit(request, "users.manage", posted=True)
    account = await call(auth.get_user, page.db, page.actor, check_id(user_id))

    async def save() -> auth.UserPublic:
        assert page.form is not None
        return await call_write(auth.update_user, page.db, page.actor, user_id, _update(page.form))

    def context(_: Visit, values: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
        shown = {"role": account.role, "active": "yes" if account.active else "no", **values}
        return _edit_context(page.user, account, shown, errors)

    return await submit(
        page,
        save,
        template="user_edit.html",
        context=context,
        then=lambda _: "/admin/users",
    )


@router.post("/admin/users/{user_id}/password", response_class=HTMLResponse)
async def user_password_submit(request: Request, user_id: int) -> Response:
    page = await visit(request, "users.manage", posted=True)
    assert page.form is not None
    account = await call(auth.get_user, page.db, page.actor, check_id(user_id))
    password, generated = _password(page.form)
    try:
        data = auth.UserUpdate.model_validate({"password": password})
        changed = await call_write(auth.update_user, page.db, page.actor, user_id, data)
    except REFUSALS as error:
        values = {"role": account.role, "active": "yes" if account.active else "no"}
        context = _edit_context(page.user, account, values, field_errors(error))
        return render(request, "user_edit.html", context, status_code=400)
    heading = f"New password for {changed.username}"
    return _password_page(page, changed, generated, heading=heading)


def _update(form: Any) -> auth.UserUpdate:
    """``UserUpdate`` from the account form or a list button (any of role, active)."""
    payload: dict[str, Any] = {}
    if role := _forms.text(form, "role"):
        payload["role"] = role
    if active := _forms.text(form, "active"):
        if active not in ("yes", "no"):
            raise InputError("active", "choose active or deactivated")
        payload["active"] = active == "yes"
    return auth.UserUpdate.model_validate(payload)


def _edit_context(
    user: PageUser, account: auth.UserPublic, values: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    return {
        "user": user,
        "account": account,
        "values": values,
        "errors": errors,
        "roles": _ROLES,
        "states": [("yes", "Active"), ("no", "Deactivated")],
        "is_self": account.id == user.actor.user_id,
    }


# --------------------------------------------------------------------------- audit log


@router.get("/admin/audit", response_class=HTMLResponse)
async def audit_log(request: Request) -> Response:
    page = await visit(request, "users.manage")
    query = request.query_params
    typed = {name: query.get(name, "").strip()[:64] for name in _FILTERS}
    number = _page_number(query.get("page", "1"))
    context: dict[str, Any] = {"user": page.user, "values": typed, "errors": {}, "entries": []}
    try:
        where = accounts.AuditFilter.model_validate({k: v for k, v in typed.items() if v})
    except ValidationError as error:
        context["errors"] = field_errors(error)
        return render(request, "audit.html", context, status_code=400)

    async def window(n: int) -> Any:
        offset = (n - 1) * AUDIT_PAGE_SIZE
        return await call(
            accounts.audit_trail, page.db, page.actor, where, limit=AUDIT_PAGE_SIZE, offset=offset
        )

    result = await window(number)
    pages = _pages(result.total, AUDIT_PAGE_SIZE)
    if number > pages:
        number = pages
        result = await window(number)
    filters = urlencode({k: v for k, v in typed.items() if v})
    context.update(
        entries=result.items, total=result.total, page=number, pages=pages, filters=filters
    )
    return render(request, "audit.html", context)


@router.get("/admin", response_class=HTMLResponse)
async def admin_home(request: Request) -> Response:
    await visit(request, "users.manage")
    return RedirectResponse("/admin/users", status_code=303)
