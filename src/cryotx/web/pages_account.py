"""The user's own account: change one's own password (every role).

The page uses :func:`cryotx.services.auth.change_own_password`, as the API does
(``POST /api/auth/password``): the current password must be right (a wrong one counts as a
failed login), the new one obeys the account rules, the user's other logins end and this
one stays.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cryotx.services import auth
from cryotx.services._common import PermissionDenied
from cryotx.services.dispatch import run_write
from cryotx.web._common import (
    PASSWORD_PAGE,
    REFUSALS,
    PageError,
    PageUser,
    database,
    field_errors,
    page_user,
    render,
)

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

_FIELDS = ("current_password", "new_password", "new_password_again")


def _context(
    user: PageUser, errors: dict[str, str], *, changed: bool = False, ended: int = 0
) -> dict[str, Any]:
    # Passwords are never sent back into the form.
    return {
        "user": user,
        "values": {},
        "errors": errors,
        "changed": changed,
        "ended": ended,
        "one_time": user.actor.must_change_password,
    }


@router.get(PASSWORD_PAGE, response_class=HTMLResponse)
async def password_form(request: Request, changed: str = "", ended: str = "0") -> Response:
    user = await page_user(request)
    count = int(ended) if ended.isdigit() and len(ended) < 6 else 0
    return render(request, "password.html", _context(user, {}, changed=changed == "1", ended=count))


@router.post(PASSWORD_PAGE, response_class=HTMLResponse)
async def password_submit(request: Request) -> Response:
    form = await request.form()
    user = await page_user(request, form)
    typed = {name: form.get(name) for name in _FIELDS}
    current, new, again = (value if isinstance(value, str) else "" for value in typed.values())
    if new != again:
        errors = {"new_password_again": "does not match the new password"}
        return render(request, "password.html", _context(user, errors), status_code=400)
    client = request.client.host if request.client else "unknown"
    try:
        data = auth.PasswordChange(current_password=current, new_password=new)
        ended = await run_write(
            auth.change_own_password,
            database(request),
            user.actor,
            data,
            session_token=user.session_token,
            limiter=request.app.state.login_limiter,
            client=client,
        )
    except auth.RateLimited as error:
        errors = {"current_password": f"{error}."}
        return render(request, "password.html", _context(user, errors), status_code=429)
    except REFUSALS as error:
        return render(
            request, "password.html", _context(user, field_errors(error)), status_code=400
        )
    except PermissionDenied as error:
        raise PageError(403, f"The password was not changed ({error}).") from None
    return RedirectResponse(f"{PASSWORD_PAGE}?changed=1&ended={ended}", status_code=303)
