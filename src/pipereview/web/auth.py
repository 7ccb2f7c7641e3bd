"""Token auth for the dashboard, and the security headers on every response.

With a token, every route but the login page needs it: the API takes it as a Bearer header,
the browser gets an HttpOnly, SameSite=Strict cookie after logging in. The cookie holds an
HMAC of the token, not the token; every comparison is constant-time (``hmac.compare_digest``).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
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


def session_value(token: str) -> str:
    """What the cookie holds: an HMAC of the token (the token itself never leaves)."""
    return hmac.new(token.encode(), b"pipereview-session", hashlib.sha256).hexdigest()


def token_matches(given: str | None, token: str) -> bool:
    """Constant-time comparison of a presented token with the real one."""
    return given is not None and hmac.compare_digest(given.encode(), token.encode())


def _authorised(request: Request, token: str) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and token_matches(value.strip(), token):
        return True
    cookie = request.cookies.get(COOKIE)
    return cookie is not None and hmac.compare_digest(
        cookie.encode(), session_value(token).encode()
    )


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
