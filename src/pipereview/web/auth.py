"""Token auth for the dashboard, and the security headers on every response.

With a token, every route but the login page needs it: the API takes it as a Bearer header,
the browser gets an HttpOnly, SameSite=Strict cookie after logging in (Secure over HTTPS).
The cookie holds an expiry (12 hours) and an HMAC of it under the token and a key made at
server start, never the token; every comparison is constant-time (``hmac.compare_digest``).
A refused login waits a second, so guessing is slow.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import time
from urllib.parse import quote

from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

COOKIE = "pipereview_session"
OPEN_PATHS = {"/login"}
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def is_loopback(host: str) -> bool:
    """True for an address only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


SESSION_SECONDS = 12 * 3600
_SERVER_KEY = secrets.token_bytes(32)  # new at every start: a restart ends every session


def session_value(token: str, expires: int | None = None) -> str:
    """What the cookie holds: its expiry and an HMAC of it under the token and this server
    process's key (the token itself never leaves; a restart or the expiry ends it)."""
    until = int(time.time()) + SESSION_SECONDS if expires is None else expires
    signed = hmac.new(token.encode() + _SERVER_KEY, str(until).encode(), hashlib.sha256)
    return f"{until}.{signed.hexdigest()}"


def session_valid(cookie: str | None, token: str) -> bool:
    """True for a cookie this server signed with the token and that has not expired."""
    if not cookie or "." not in cookie:
        return False
    until, _, _ = cookie.partition(".")
    # ASCII digits only, and few: str.isdigit() also takes "¹²³", which int() refuses, and
    # int() refuses more than 4,300 digits
    if not (until.isascii() and until.isdigit() and len(until) <= 12) or int(until) < time.time():
        return False
    return hmac.compare_digest(cookie.encode(), session_value(token, int(until)).encode())


def token_matches(given: str | None, token: str) -> bool:
    """Constant-time comparison of a presented token with the real one."""
    return given is not None and hmac.compare_digest(given.encode(), token.encode())


def _authorised(request: Request, token: str) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and token_matches(value.strip(), token):
        return True
    return session_valid(request.cookies.get(COOKIE), token)


def safe_next(target: str | None) -> str:
    """A local path to go back to after login (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


class Guard(BaseHTTPMiddleware):
    """Adds the security headers; with a token, turns away requests without it."""

    def __init__(self, app: object, token: str | None) -> None:
        super().__init__(app)  # type: ignore[arg-type]
        self.token = token

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        path = request.url.path
        if self.token and path not in OPEN_PATHS and not _authorised(request, self.token):
            if path.startswith("/api/") or path == "/openapi.json":
                response: Response = JSONResponse(
                    {"detail": "a token is needed: send Authorization: Bearer <token>"},
                    status_code=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
            else:
                raw = request.scope.get("raw_path") or path.encode()
                query = f"?{request.url.query}" if request.url.query else ""
                wanted = raw.decode("latin-1") + query  # as sent: %2F and %25 stay encoded
                response = RedirectResponse(
                    f"/login?next={quote(wanted, safe='')}", status_code=303
                )
        else:
            response = await call_next(request)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response
