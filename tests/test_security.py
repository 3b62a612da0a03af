"""CSRF on every form, security headers on every answer, secure cookie flags, no inline code."""

import re
from pathlib import Path

import pytest

from tests import factories as f

TEMPLATES = Path(__file__).parent.parent / "templates"
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_token(page: bytes) -> str:
    match = CSRF_INPUT.search(page.decode())
    assert match, "the page has no CSRF token"
    return match.group(1) or match.group(2)


def credentials(**extra):
    return {"email": "admin@example.org", "password": f.PASSWORD, **extra}


# ---------------------------------------------------------------- CSRF


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_form_without_csrf_token_is_refused_with_a_clear_page(client, users):
    response = client.post("/login", data=credentials())
    assert response.status_code == 400
    page = response.data.decode()
    assert "Form expired or forged" in page and "security token was missing or wrong" in page
    assert "Back to the start" in page  # inside the app's layout
    assert client.get("/account").status_code == 302  # not logged in


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_form_with_a_wrong_csrf_token_is_refused(client, users):
    client.get("/login")  # a session exists, with its own token
    response = client.post("/login", data=credentials(csrf_token="forged-token"))
    assert response.status_code == 400 and b"Form expired or forged" in response.data


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_token_from_another_session_is_refused(app, client, users):
    other = app.test_client()
    stolen = csrf_token(other.get("/login").data)
    client.get("/login")
    assert client.post("/login", data=credentials(csrf_token=stolen)).status_code == 400


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_form_with_its_token_is_accepted(client, users):
    token = csrf_token(client.get("/login").data)
    assert client.post("/login", data=credentials(csrf_token=token)).status_code == 302
    assert client.get("/account").status_code == 200


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_post_only_buttons_need_the_token_too(client, users):
    token = csrf_token(client.get("/login").data)
    client.post("/login", data=credentials(csrf_token=token))
    # A cross-site form posting to /logout (or deactivating a user) carries no token: refused.
    assert client.post("/logout").status_code == 400
    assert client.post(f"/admin/users/{users['viewer'].id}/deactivate").status_code == 400
    assert client.get("/account").status_code == 200 and users["viewer"].active
    # The user menu's logout form carries the token and works.
    page = client.get("/account").data
    assert client.post("/logout", data={"csrf_token": csrf_token(page)}).status_code == 302


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_every_form_on_the_account_pages_carries_a_token(client_as, world):
    admin = client_as("admin")
    for path in ["/account", "/admin/users", "/admin/users/invite", f"/admin/users/{world.users['member_a'].id}/role"]:
        page = admin.get(path).data.decode()
        forms = re.findall(r"<form[^>]*method=\"post\".*?</form>", page, flags=re.S | re.I)
        assert forms, path
        assert all(re.search(r'name="(\w+-)?csrf_token" [^>]*value="[^"]+"', form) for form in forms), path


# ---------------------------------------------------------------- headers


@pytest.mark.parametrize("path", ["/", "/login", "/no-such-page"])
def test_security_headers_on_every_answer(client, path):
    response = client.get(path)
    csp = {d.strip().split(" ", 1)[0]: d.strip() for d in response.headers["Content-Security-Policy"].split(";")}
    assert csp["default-src"] == "default-src 'self'"
    assert csp["script-src"] == "script-src 'self'"
    assert csp["style-src"] == "style-src 'self'"
    assert csp["frame-ancestors"] == "frame-ancestors 'none'"
    assert csp["object-src"] == "object-src 'none'"
    assert csp["form-action"] == "form-action 'self'"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_security_headers_on_error_pages_too(client):
    response = client.post("/login", data={})
    assert response.status_code == 400
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def template_files():
    return sorted(TEMPLATES.rglob("*.html"))


@pytest.mark.parametrize("path", template_files(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_templates_have_no_inline_script_or_style(path):
    """The CSP refuses inline code, so a template that had any would silently break."""
    text = path.read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text, flags=re.I), "inline <script>"
    assert not re.search(r"<style\b", text, flags=re.I), "<style> block"
    assert not re.search(r"\sstyle\s*=", text, flags=re.I), "style= attribute"
    assert not re.search(r"\son[a-z]+\s*=\s*[\"']", text, flags=re.I), "inline event handler"
    assert "javascript:" not in text.lower()


# ---------------------------------------------------------------- cookies


def set_cookies(response) -> dict[str, str]:
    cookies = {}
    for header in response.headers.getlist("Set-Cookie"):
        cookies[header.split("=", 1)[0]] = header
    return cookies


def test_cookies_are_http_only_and_same_site_by_default(client, users):
    cookies = set_cookies(client.post("/login", data=credentials(remember="y")))
    for name in ("session", "remember_token"):
        assert "HttpOnly" in cookies[name] and "SameSite=Lax" in cookies[name]
        assert "Secure" not in cookies[name]  # development runs on plain http


@pytest.mark.app_config(SECURE_COOKIES=True)
def test_secure_cookies_setting_marks_cookies_secure_and_sends_hsts(client, users):
    response = client.post("/login", data=credentials(remember="y"))
    cookies = set_cookies(response)
    for name in ("session", "remember_token"):
        assert "Secure" in cookies[name] and "HttpOnly" in cookies[name] and "SameSite=Lax" in cookies[name]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_session_cookie_is_signed(client, users):
    client.post("/login", data=credentials())
    value = client.get_cookie("session").value
    forged = value[:-3] + ("aaa" if not value.endswith("aaa") else "bbb")
    client.set_cookie("session", forged, domain="localhost")
    assert client.get("/account").status_code == 302


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_prefixed_forms_work_with_their_token(client, users):
    client.post("/login", data=credentials(csrf_token=csrf_token(client.get("/login").data)))
    page = client.get("/account").data.decode()
    token = re.search(r'name="profile-csrf_token" [^>]*value="([^"]+)"', page).group(1)
    data = {"profile-name": "Ada A.", "profile-locale": "en"}
    assert client.post("/account", data=data).status_code == 400
    assert client.post("/account", data={**data, "profile-csrf_token": token}).status_code == 302
    assert users["admin"].name == "Ada A."
