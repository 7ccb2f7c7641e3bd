"""The dashboard app: pages (Jinja2) and a JSON API over a ``Source``. Read-only.

Pages: ``/`` (overview), ``/managers/{id}``, ``/teams/{name}``, ``/regions/{name}`` (the
drill-down, ``web.levels``), ``/reps/{rep_id}``, ``/deals/{deal_id}``, ``/login``; the API
mirrors them: ``/api/report``, ``/api/managers/{id}`` (and teams, regions),
``/api/reps/{rep_id}``, ``/api/deals/{deal_id}``, ``/api/dates``, described by
``/openapi.json`` and the page ``/api``. Every route takes ``?date=YYYY-MM-DD`` (default:
the latest); pages take ``?sort=T.C&dir=desc`` (``web.sorting``). No page runs a script or
loads anything remote.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from pipereview.errors import NotFoundError, PipereviewError
from pipereview.render.html import context as report_context
from pipereview.render.html import environment
from pipereview.report.model import Report, dumps
from pipereview.web.auth import (
    COOKIE,
    HEADERS,
    SESSION_SECONDS,
    Guard,
    safe_next,
    session_value,
    token_matches,
)
from pipereview.web.levels import PAGES, drillable, level_view
from pipereview.web.sorting import Sorting
from pipereview.web.source import Source
from pipereview.web.views import deal_view, history_chart, rep_view

TEMPLATES = Path(__file__).parent / "templates"
FAILED_LOGIN_WAIT = 1.0  # seconds
ERROR_TITLES = {404: "Not found", 405: "Method not allowed", 401: "Not allowed"}


def _json(data: Any, status: int = 200) -> Response:
    return Response(dumps(data), status_code=status, media_type="application/json")


def create_app(source: Source, token: str | None = None) -> FastAPI:
    """The dashboard over ``source``; with ``token``, every route but /login needs it."""
    app = FastAPI(
        title="pipereview dashboard",
        description="Read-only pipeline review: the report, each rep and each deal.",
        docs_url=None,  # Swagger UI loads scripts from a CDN; /api lists the routes instead
        redoc_url=None,
    )
    app.add_middleware(Guard, token=token)
    env = environment(jinja2.FileSystemLoader(TEMPLATES))

    def page(name: str, status: int = 200, **values: Any) -> HTMLResponse:
        dates = source.dates()
        shared = {"dates": [d.isoformat() for d in dates], "many_dates": len(dates) > 1}
        shared.update({"login": bool(token), "as_of": "", "q": "", "links": Sorting()})
        html = env.get_template(name).render(**{**shared, **values})
        return HTMLResponse(html, status_code=status)

    def day(date: str | None) -> dt.date:
        return source.pick(date)

    def date_query(when: dt.date) -> str:
        return "" if when == source.latest() else f"?date={when.isoformat()}"

    def sorting(when: dt.date, sort: str | None, direction: str | None) -> Sorting:
        keep = {} if when == source.latest() else {"date": when.isoformat()}
        return Sorting.parse(sort, direction, keep)

    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, exc: NotFoundError) -> Response:
        if request.url.path.startswith("/api/"):
            return _json({"detail": str(exc)}, 404)
        return page("error.html.j2", 404, title="Not found", message=str(exc))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            response = _json({"detail": str(exc.detail)}, exc.status_code)
        else:
            title = ERROR_TITLES.get(exc.status_code, "Error")
            response = page("error.html.j2", exc.status_code, title=title, message=str(exc.detail))
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Response:
        """A bug, not bad input: one line, never a traceback, and the security headers
        (this handler runs outside the Guard middleware)."""
        message = "the dashboard failed on this request; the server log has the details"
        if request.url.path.startswith("/api/"):
            response = _json({"detail": message}, 500)
        else:
            response = page("error.html.j2", 500, title="Something went wrong", message=message)
        response.headers.update(HEADERS)
        return response

    @app.exception_handler(PipereviewError)
    async def failed(request: Request, exc: PipereviewError) -> Response:
        if request.url.path.startswith("/api/"):
            return _json({"detail": str(exc)}, 422)
        return page("error.html.j2", 422, title="Cannot show this", message=str(exc))

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def overview(
        date: str | None = None, sort: str | None = None, dir: str | None = None
    ) -> HTMLResponse:
        when = day(date)
        report = source.report(when)
        links = sorting(when, sort, dir)
        return page(
            "overview.html.j2",
            **{
                **drillable(report_context(report), report, links),
                "as_of": when.isoformat(),
                "q": date_query(when),
                "links": links,
                "history": history_chart(source.history()) if len(source.dates()) > 1 else None,
            },
        )

    def level_page(kind: str) -> Any:
        level = PAGES[kind]

        def show(
            subject: str, date: str | None = None, sort: str | None = None, dir: str | None = None
        ) -> HTMLResponse:
            when = day(date)
            view = level_view(source.report(when), when, level, subject)
            links = sorting(when, sort, dir)
            view["rows"] = links.rows("reports", view["rows"], range(1, len(view["headers"])))
            view |= {"as_of": when.isoformat(), "q": date_query(when), "links": links}
            return page("level.html.j2", **view)

        def api_show(subject: str, date: str | None = None) -> Response:
            when = day(date)
            view = level_view(source.report(when), when, level, subject)
            return _json(
                {
                    "level": level,
                    "id": subject,
                    "as_of": when,
                    "row": view["row"].model_dump(),
                    "reports": [r.model_dump() for r in view["reports"]],
                    "reps_counted": sorted(view["members"]),
                    "flagged_deals": sorted(
                        {row[0].id for listed in view["deal_lists"] for row in listed.rows}
                    ),
                }
            )

        app.get(f"/{kind}/{{subject:path}}", response_class=HTMLResponse, include_in_schema=False)(
            show
        )
        app.get(
            f"/api/{kind}/{{subject:path}}",
            summary=f"One {level}: its forecast row, the rows that add up to it, its reps, "
            "its flagged deals",
        )(api_show)

    for kind in PAGES:
        level_page(kind)

    @app.get("/reps/{rep_id:path}", response_class=HTMLResponse, include_in_schema=False)
    def rep_page(
        rep_id: str, date: str | None = None, sort: str | None = None, dir: str | None = None
    ) -> HTMLResponse:
        when = day(date)
        view = rep_view(source, when, rep_id)
        links = sorting(when, sort, dir)
        return page("rep.html.j2", as_of=when.isoformat(), q=date_query(when), links=links, **view)

    @app.get("/deals/{deal_id:path}", response_class=HTMLResponse, include_in_schema=False)
    def deal_page(deal_id: str, date: str | None = None) -> HTMLResponse:
        when = day(date)
        view = deal_view(source, when, deal_id)
        return page("deal.html.j2", as_of=when.isoformat(), q=date_query(when), **view)

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_form(next: str | None = None, failed: bool = False) -> HTMLResponse:
        return page("login.html.j2", 401 if failed else 200, next=safe_next(next), failed=failed)

    @app.post("/login", include_in_schema=False)
    def login(
        request: Request, token_field: str = Form("", alias="token"), next: str = Form("/")
    ) -> Response:
        target = safe_next(next)
        if not token or not token_matches(token_field, token):
            time.sleep(FAILED_LOGIN_WAIT)  # a worker thread waits, not the server
            return RedirectResponse(f"/login?failed=true&next={quote(target)}", status_code=303)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            COOKIE,
            session_value(token),
            max_age=SESSION_SECONDS,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/",
        )
        return response

    @app.get("/logout", include_in_schema=False)
    def logout() -> Response:
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    @app.get("/api", response_class=HTMLResponse, include_in_schema=False)
    def api_docs() -> HTMLResponse:
        spec = app.openapi()
        routes = [
            {
                "path": path,
                "method": method.upper(),
                "summary": operation.get("summary", ""),
                "parameters": operation.get("parameters", []),
            }
            for path, methods in spec["paths"].items()
            for method, operation in methods.items()
        ]
        return page("api.html.j2", routes=routes, spec=spec)

    @app.get("/api/dates", summary="The dates there is a report for, oldest first")
    def api_dates() -> JSONResponse:
        return JSONResponse([d.isoformat() for d in source.dates()])

    @app.get("/api/report", summary="The whole report (the JSON of `pipereview report`)")
    def api_report(date: str | None = None) -> Response:
        report: Report = source.report(day(date))
        return Response(report.to_json(), media_type="application/json")

    @app.get("/api/reps/{rep_id:path}", summary="One rep: figures, trajectory, flags, verdicts")
    def api_rep(rep_id: str, date: str | None = None) -> Response:
        view = rep_view(source, day(date), rep_id)
        return _json(
            {
                "rep_id": rep_id,
                "as_of": view["as_of_date"],
                "performance": view["performance"].model_dump(),
                "trajectory": view["trajectory"].model_dump() if view["trajectory"] else None,
                "flags": [f.model_dump() for f in view["flags"]],
                "verdicts": [v.model_dump() for v in view["verdicts"]],
            }
        )

    @app.get("/api/deals/{deal_id:path}", summary="One deal: details and every rule's verdict")
    def api_deal(deal_id: str, date: str | None = None) -> Response:
        view = deal_view(source, day(date), deal_id)
        return _json(
            {
                "deal_id": deal_id,
                "as_of": view["as_of_date"],
                "details": [d.model_dump() for d in view["details"]],
                "verdicts": [v.model_dump() for v in view["verdicts"]],
            }
        )

    return app
