"""Serving the dashboard: uvicorn, with the security headers on the answers it makes itself.

The app puts the headers (``auth.HEADERS``) on every response it makes: ``auth.Guard`` on
each route's, the app's error handlers on a 404, a 422 and a crash's 500. uvicorn answers
some requests before any app sees them: a request its HTTP parser (h11) refuses (a malformed
request line, a header line without a colon, HTTP/1.1 without a Host, a control character in
a header, a header block over h11's limit) gets uvicorn's plain-text 400. ``Protocol`` is
uvicorn's h11 protocol with that 400 carrying the headers too. WebSockets are off: the
dashboard has none, so an upgrade request is an ordinary request the app answers.

What still has no headers, and why (docs/decisions.md, D31): uvicorn's own 500, sent only
when an app fails before it starts a response (FastAPI's outermost middleware always starts
one first), and its 503 for a concurrency limit, which is not set.
"""

from __future__ import annotations

from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import STATUS_PHRASES, H11Protocol

from pipereview.web.auth import HEADERS

_HEADERS = [(name.lower().encode(), value.encode()) for name, value in HEADERS.items()]


class Protocol(H11Protocol):
    """uvicorn's h11 protocol; the 400 it sends for a request h11 cannot parse carries the
    security headers (the rest is uvicorn's ``send_400_response`` as it is)."""

    def send_400_response(self, msg: str) -> None:
        headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"connection", b"close"),
            *_HEADERS,
        ]
        event = h11.Response(status_code=400, headers=headers, reason=STATUS_PHRASES[400])
        self.transport.write(self.conn.send(event))
        self.transport.write(self.conn.send(h11.Data(data=msg.encode("ascii"))))
        self.transport.write(self.conn.send(h11.EndOfMessage()))


def run(app: Any, host: str, port: int, log_level: str) -> None:
    """Serve ``app`` until interrupted."""
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_level=log_level, http=Protocol, ws="none")
