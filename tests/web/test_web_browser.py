"""The clinician pages in Debian's Chromium against the real server (``cryotx serve``).

The server runs as a subprocess on a free loopback port with a temporary SQLite database
and an account created with ``cryotx user add``. Skipped only when Chromium or its driver
is not installed. Set ``CRYOTX_SCREENSHOT_DIR`` to keep the screenshots.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
PASSWORD = "browser test password 1"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
        reason="Debian's chromium and chromium-driver are not installed (make debs installs them)",
    ),
]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _cryotx(*args: str) -> list[str]:
    return [sys.executable, "-c", "from cryotx.cli import main; main()", *args]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a freshly started ``cryotx serve`` with an admin, a clinician, an operator."""
    data = tmp_path_factory.mktemp("server")
    env = {
        **os.environ,
        "CRYOTX_DATABASE_URL": f"sqlite:///{data}/cryotx.sqlite3",
        "CRYOTX_DATA_DIR": str(data),
    }
    for username, role in (
        ("dr.browser", "clinician"),
        ("op.browser", "operator"),
        ("admin.browser", "admin"),
    ):
        subprocess.run(
            _cryotx("user", "add", username, "--role", role, "--password-stdin"),
            input=PASSWORD + "\n",
            text=True,
            env=env,
            check=True,
            timeout=120,
            capture_output=True,
        )
    port = _free_port()
    log = (data / "server.log").open("w")
    process = subprocess.Popen(
        _cryotx("serve", "--host", "127.0.0.1", "--port", str(port)),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"server did not start: {(data / 'server.log').read_text()}")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
        log.close()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1280,2000",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _screenshot(driver: object, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.png"
    assert driver.save_screenshot(str(path))  # type: ignore[attr-defined]
    keep = os.environ.get("CRYOTX_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / path.name)
    return path


def _log_in(driver: object, base: str, username: str, password: str = PASSWORD) -> None:
    _submit_login(driver, base, username, password)
    assert driver.current_url.endswith("/patients")  # type: ignore[attr-defined]


def _submit_login(driver: object, base: str, username: str, password: str) -> None:
    """Fill in and send the login form (the caller checks where it led)."""
    from selenium.webdriver.common.by import By

    d = driver
    d.get(f"{base}/patients")  # type: ignore[attr-defined]
    assert "/login" in d.current_url  # type: ignore[attr-defined]
    d.find_element(By.ID, "f-username").send_keys(username)  # type: ignore[attr-defined]
    d.find_element(By.ID, "f-password").send_keys(password)  # type: ignore[attr-defined]
    _go(d, d.find_element(By.CSS_SELECTOR, "form button[type=submit]"))  # type: ignore[attr-defined]


def _log_out(driver: object) -> None:
    from selenium.webdriver.common.by import By

    _go(driver, driver.find_element(By.CSS_SELECTOR, "form.logout button"))  # type: ignore[attr-defined]
    assert "/login" in driver.current_url  # type: ignore[attr-defined]


def _go(driver: object, element: object) -> None:
    """Click a link or submit button and wait until the next page has replaced this one."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    def replaced(_driver: object) -> bool:
        try:
            element.is_enabled()  # type: ignore[attr-defined]
        except StaleElementReferenceException:
            return True
        except WebDriverException as error:
            # Mid-navigation, Chromium may report the removed node as an inspector error
            # instead of a stale reference: the same fact, the element left the document.
            if "does not belong to the document" in str(error.msg):
                return True
            raise
        return False

    element.click()  # type: ignore[attr-defined]
    WebDriverWait(driver, 30).until(replaced)  # type: ignore[arg-type]


def _set(driver: object, element_id: str, value: str) -> None:
    """Type into a field (dates are set directly: their typing order depends on the locale)."""
    from selenium.webdriver.common.by import By

    element = driver.find_element(By.ID, element_id)  # type: ignore[attr-defined]
    if element.get_attribute("type") == "date":
        driver.execute_script("arguments[0].value = arguments[1]", element, value)  # type: ignore[attr-defined]
    else:
        element.clear()
        element.send_keys(value)


def _select(driver: object, element_id: str, value: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element(By.ID, element_id)).select_by_value(value)  # type: ignore[attr-defined]


def test_clinician_creates_patient_records_vitals_and_screens(
    server: str, browser: object, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    d = browser
    _log_in(d, server, "dr.browser")
    _go(d, d.find_element(By.LINK_TEXT, "New patient"))  # type: ignore[attr-defined]
    _set(d, "f-given_name", "Vera")
    _set(d, "f-family_name", "Browserova")
    _select(d, "f-sex", "female")
    _set(d, "f-birth_date", "1961-05-17")
    _set(d, "f-height_cm", "166")
    _set(d, "f-mass_kg", "74")
    _set(d, "f-body_fat_percent", "33.5")
    _select(d, "f-fat_site", "knee")
    _set(d, "f-fat_mm", "12")
    for code in ("knee_osteoarthritis", "raynaud"):
        d.find_element(By.CSS_SELECTOR, f"input[name=conditions][value={code}]").click()  # type: ignore[attr-defined]
    _go(d, d.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))  # type: ignore[attr-defined]
    assert "/patients/" in d.current_url  # type: ignore[attr-defined]
    assert d.find_element(By.TAG_NAME, "h1").text == "Browserova, Vera"  # type: ignore[attr-defined]
    assert "33.5 % (measured)" in d.find_element(By.TAG_NAME, "main").text  # type: ignore[attr-defined]
    patient_url = d.current_url.split("#")[0]  # type: ignore[attr-defined]

    _go(d, d.find_element(By.LINK_TEXT, "Record vital signs"))  # type: ignore[attr-defined]
    _set(d, "f-systolic_mmhg", "132")
    _set(d, "f-diastolic_mmhg", "84")
    _set(d, "f-heart_rate_bpm", "71")
    _set(d, "f-body_temp_c", "36.6")
    _go(d, d.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))  # type: ignore[attr-defined]
    vitals = d.find_element(By.ID, "vitals").text  # type: ignore[attr-defined]
    assert "132/84" in vitals and "36.6" in vitals

    _go(d, d.find_element(By.LINK_TEXT, "Run screening"))  # type: ignore[attr-defined]
    _select(d, "f-modality", "wbc_chamber")
    _select(d, "f-check_skin_dry", "yes")
    _select(d, "f-check_consent_signed", "yes")
    _go(d, d.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))  # type: ignore[attr-defined]
    decision = d.find_element(By.ID, "decision").text.lower()  # type: ignore[attr-defined]
    # Raynaud's phenomenon is an absolute contraindication to whole-body cryotherapy.
    assert "excluded" in decision
    reasons = d.find_element(By.ID, "reasons").text  # type: ignore[attr-defined]
    assert "Raynaud" in reasons
    assert "Decision support for trained staff" in d.find_element(By.CLASS_NAME, "notice").text  # type: ignore[attr-defined]
    shot = _screenshot(d, tmp_path, "screening-result")
    assert shot.stat().st_size > 10_000

    d.get(patient_url)  # type: ignore[attr-defined]
    assert "excluded" in d.find_element(By.ID, "screenings").text.lower()  # type: ignore[attr-defined]

    for when, score in (
        ("2026-11-02T09:00", "7"),
        ("2026-11-09T09:00", "5"),
        ("2026-11-16T09:00", "4"),
    ):
        _go(d, d.find_element(By.LINK_TEXT, "Record outcome"))  # type: ignore[attr-defined]
        _select(d, "f-instrument", "pain_nrs")
        _set(d, "f-score", score)
        d.execute_script(  # type: ignore[attr-defined]
            "document.getElementById('f-measured_at').value = arguments[0]", when
        )
        _go(d, d.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))  # type: ignore[attr-defined]
    plot = d.find_element(By.CSS_SELECTOR, "#outcomes img.plot")  # type: ignore[attr-defined]
    assert plot.get_attribute("naturalWidth") not in (None, "0")  # the PNG decoded
    _screenshot(d, tmp_path, "patient-record")


def test_form_without_csrf_token_is_refused_in_the_browser(
    server: str, browser: object, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    d = browser
    _log_in(d, server, "op.browser")
    # An operator may record vitals but sees no screening or planning form.
    _go(d, d.find_element(By.CSS_SELECTOR, "table a"))  # type: ignore[attr-defined]
    actions = d.find_element(By.CLASS_NAME, "actions").text  # type: ignore[attr-defined]
    assert "Record vital signs" in actions
    assert "Run screening" not in actions and "Plan a course" not in actions
    _go(d, d.find_element(By.LINK_TEXT, "Record vital signs"))  # type: ignore[attr-defined]
    _set(d, "f-heart_rate_bpm", "66")
    # Remove the hidden token, as a forged cross-site form would lack it.
    d.execute_script(  # type: ignore[attr-defined]
        "document.querySelector('main form input[name=csrf_token]').remove()"
    )
    _go(d, d.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))  # type: ignore[attr-defined]
    assert "Not allowed" in d.find_element(By.TAG_NAME, "h1").text  # type: ignore[attr-defined]
    assert "security token" in d.find_element(By.CLASS_NAME, "alert").text  # type: ignore[attr-defined]
    _screenshot(d, tmp_path, "csrf-refused")


def test_admin_adds_a_clinician_who_logs_in_until_deactivated(
    server: str, browser: object, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    d = browser
    new_password = "a new clinician's password"
    _log_in(d, server, "admin.browser")
    _go(d, d.find_element(By.LINK_TEXT, "Accounts"))  # type: ignore[attr-defined]
    _go(d, d.find_element(By.LINK_TEXT, "Add a user"))  # type: ignore[attr-defined]
    _set(d, "f-username", "dr.added")
    _select(d, "f-role", "clinician")
    _set(d, "f-password", new_password)
    _go(d, d.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))  # type: ignore[attr-defined]
    assert d.find_element(By.TAG_NAME, "h1").text == "User dr.added added"  # type: ignore[attr-defined]
    assert "works once" in d.find_element(By.ID, "one-time").text  # type: ignore[attr-defined]
    _log_out(d)

    # The admin's password is one-time: the first login opens only the password page.
    _submit_login(d, server, "dr.added", new_password)
    assert d.current_url.endswith("/account/password?first=1")  # type: ignore[attr-defined]
    assert d.find_element(By.TAG_NAME, "h1").text == "Change your password"  # type: ignore[attr-defined]
    assert "set by an administrator" in d.find_element(By.TAG_NAME, "main").text  # type: ignore[attr-defined]
    own_password = "dr.added's own long password"
    _set(d, "f-current_password", new_password)
    _set(d, "f-new_password", own_password)
    _set(d, "f-new_password_again", own_password)
    _go(d, d.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))  # type: ignore[attr-defined]
    assert "Your password was changed" in d.find_element(By.TAG_NAME, "main").text  # type: ignore[attr-defined]
    _go(d, d.find_element(By.LINK_TEXT, "Patients"))  # type: ignore[attr-defined]
    assert d.find_element(By.TAG_NAME, "h1").text == "Patients"  # type: ignore[attr-defined]
    assert "dr.added (clinician)" in d.find_element(By.CLASS_NAME, "who").text  # type: ignore[attr-defined]
    _log_out(d)

    _log_in(d, server, "admin.browser")
    _go(d, d.find_element(By.LINK_TEXT, "Accounts"))  # type: ignore[attr-defined]
    _go(d, d.find_element(By.CSS_SELECTOR, "button[aria-label='Deactivate dr.added']"))  # type: ignore[attr-defined]
    row = d.find_element(By.ID, "account-dr.added").text  # type: ignore[attr-defined]
    assert "deactivated" in row and "Reactivate" in row
    _screenshot(d, tmp_path, "accounts")
    _go(d, d.find_element(By.LINK_TEXT, "Audit log"))  # type: ignore[attr-defined]
    _set(d, "f-username", "admin.browser")
    _go(d, d.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]"))  # type: ignore[attr-defined]
    newest = d.find_element(By.CSS_SELECTOR, "#audit tbody tr").text  # type: ignore[attr-defined]
    assert "update" in newest and "active: yes → no" in newest
    _screenshot(d, tmp_path, "audit-log")
    _log_out(d)

    _submit_login(d, server, "dr.added", own_password)
    assert "/login" in d.current_url  # type: ignore[attr-defined]
    assert "Wrong user name or password" in d.find_element(By.TAG_NAME, "main").text  # type: ignore[attr-defined]


def test_a_user_changes_their_own_password_from_the_header(
    server: str, browser: object, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    d = browser
    first, second = "operator's first password", "operator's second password"
    _log_in(d, server, "admin.browser")  # an account of this test's own
    _go(d, d.find_element(By.LINK_TEXT, "Accounts"))  # type: ignore[attr-defined]
    _go(d, d.find_element(By.LINK_TEXT, "Add a user"))  # type: ignore[attr-defined]
    _set(d, "f-username", "op.changer")
    _select(d, "f-role", "operator")
    _set(d, "f-password", first)
    _go(d, d.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))  # type: ignore[attr-defined]
    _log_out(d)

    _submit_login(d, server, "op.changer", first)  # the admin's password is one-time
    assert d.current_url.endswith("/account/password?first=1")  # type: ignore[attr-defined]
    _go(d, d.find_element(By.LINK_TEXT, "Change password"))  # type: ignore[attr-defined]
    _set(d, "f-current_password", "not the password")
    _set(d, "f-new_password", second)
    _set(d, "f-new_password_again", second)
    _go(d, d.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))  # type: ignore[attr-defined]
    assert d.find_element(By.ID, "e-current_password").text  # type: ignore[attr-defined]
    _set(d, "f-current_password", first)
    _set(d, "f-new_password", second)
    _set(d, "f-new_password_again", second)
    _go(d, d.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))  # type: ignore[attr-defined]
    assert "Your password was changed" in d.find_element(By.CLASS_NAME, "notice").text  # type: ignore[attr-defined]
    _screenshot(d, tmp_path, "password-changed")
    _log_out(d)

    _submit_login(d, server, "op.changer", first)
    assert "/login" in d.current_url  # type: ignore[attr-defined]
    _log_in(d, server, "op.changer", second)
