"""The web application: a thin shell over services/pages.py and
services/coordinator_page.py (what to show) and services/submissions.py (what
to record). Starlette; uvicorn serves it.

Routes (a token is a signed link, services/links.py):
  GET  /u/TOKEN               a unit's page
  POST /u/TOKEN               "Đã gửi báo cáo" with an optional file and note
  GET  /c/TOKEN               the coordinator's page (matrix, filters, acceptance queue)
  POST /c/TOKEN/decide        accept or return one submission
  GET  /c/TOKEN/files/ID      a submitted file, as an attachment
  GET  /static/app.css, /healthz

GET never changes anything (mail scanners open links). Every POST carries a form
token made for that page. A bad, rotated or truncated token answers the same
plain 404 as an unknown path; every other refusal is a page saying what went
wrong, with its status code, and nothing written. Time is read once per request
from ``clock`` (``--now`` moves it) and passed down.
"""

from __future__ import annotations

import inspect
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Awaitable, Callable
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from tracker.core.errors import InputError, StoreError
from tracker.core.submissions import NothingToDecide, SubmissionRefused
from tracker.render.pages import render_page, size_text, stylesheet
from tracker.services import coordinator_page as coordination, pages
from tracker.services.links import COORDINATOR, FORM_MAX_AGE_S, UNIT, Signer
from tracker.services.runtime import Runtime
from tracker.web.safety import BodyTooLarge, SecurityHeaders, body_limit

log = logging.getLogger("tracker.web")
Clock = Callable[[], datetime]
MAX_FILES = 1
MAX_FIELDS = 10


@dataclass(frozen=True)
class Visit:
    """One request on a signed link: whose link, its path, the request's time and client address."""

    unit: pages.LinkedUnit
    base: str  # /u/TOKEN or /c/TOKEN
    now: datetime
    client: str | None  # the audit log records it (behind the proxy: X-Forwarded-For)


class Refusal(Exception):
    """A request the page refuses: status, heading and message for the error page."""

    def __init__(self, status: int, heading: str, message: str, back: str | None = None) -> None:
        super().__init__(message)
        self.status, self.heading, self.message, self.back = status, heading, message, back


def make_app(rt: Runtime, signer: Signer, clock: Clock) -> Starlette:
    web = rt.settings.web
    limit = web.max_upload_mb * 1_048_576 + 256 * 1024  # the file plus the form's other fields

    def page(name: str, status: int = 200, **context) -> HTMLResponse:
        return HTMLResponse(render_page(name, **context), status_code=status)

    def not_found() -> HTMLResponse:
        return page("not_found", 404)

    def linked(kind: str):
        """Every page of a signed link starts alike: read the clock once, turn the token
        into its unit, or answer the plain 404; the handler gets a ``Visit``.

        A GET page is a plain function and runs whole in one worker thread (the link,
        the page's queries and its rendering: one hop off the event loop per request,
        not one per step); a POST is a coroutine, which reads its form on the loop."""

        def wrap(handler: Callable[[Request, Visit], Response | Awaitable[Response]]):
            is_async = inspect.iscoroutinefunction(handler)

            async def endpoint(request: Request) -> Response:
                token = request.path_params["token"]
                base, now, client = f"/{'u' if kind == UNIT else 'c'}/{token}", clock(), _client(request)
                if not is_async:
                    return await run_in_threadpool(visit_page, handler, request, kind, token, base, now, client)
                unit = await run_in_threadpool(pages.linked_unit, rt, signer, kind, token)
                if unit is None:
                    return not_found()
                return await handler(request, Visit(unit, base, now, client))

            return endpoint

        return wrap

    def visit_page(handler, request: Request, kind: str, token: str, base: str, now: datetime,
                   client: str | None) -> Response:
        unit = pages.linked_unit(rt, signer, kind, token)
        if unit is None:
            return not_found()
        return handler(request, Visit(unit, base, now, client))

    @linked(UNIT)
    def unit_page(request: Request, visit: Visit) -> Response:
        unit, now = visit.unit, visit.now
        view = pages.unit_view(rt, now, unit)
        # One form token for the page (it names the unit, not the assignment; the
        # submission's key adds the assignment), so its cost does not grow per item.
        form = signer.form_token(UNIT, unit.id, unit.version, now) if any(i.can_submit for i in view.items) else ""
        return page("unit", view=view, form_token=form, action=visit.base, max_mb=web.max_upload_mb,
                    types=", ".join(t.lstrip(".") for t in web.file_types), accept=",".join(web.file_types))

    @linked(UNIT)
    async def unit_submit(request: Request, visit: Visit) -> Response:
        from tracker.services.submissions import Upload, submit_by_unit

        unit, now, back = visit.unit, visit.now, visit.base
        form = await _form(request, back)
        claim = _form_claim(form.get("form"), UNIT, unit, now, back)
        assignment = _int(form.get("assignment"), back)
        uploads = []
        for value in form.getlist("file"):
            if isinstance(value, UploadFile) and (value.filename or value.size):
                data = await value.read()
                if value.filename or data:
                    uploads.append(Upload(value.filename or "", value.content_type or "", data))
        note = form.get("note")
        note = note if isinstance(note, str) else None
        try:
            r = await run_in_threadpool(submit_by_unit, rt, unit.code, assignment, uploads, note, "web", now,
                                        client=visit.client, key=f"web:{claim['nonce']}:{assignment}")
        except SubmissionRefused as exc:
            raise Refusal(exc.status, _REFUSAL_HEADINGS.get(exc.status, "Không ghi nhận được"), str(exc), back)
        view = await run_in_threadpool(pages.unit_view, rt, now, unit)
        item = next((i for i in view.items if i.assignment_id == r.assignment_id), None)
        local = r.submitted_at.astimezone(rt.tz)
        return page("done", unit_name=unit.name, title=item.title if item else "", state=item.state if item else "",
                    period_text=item.period_text if item else "", state_text=item.state_text if item else "",
                    at_text=f"{local:%H:%M} {pages.day_text(local)}", files=[f.name for f in r.files], back=back)

    @linked(COORDINATOR)
    def coordinator_page(request: Request, visit: Visit) -> Response:
        unit, now, base = visit.unit, visit.now, visit.base
        q = request.query_params
        try:
            view = coordination.coordinator_view(rt, now, unit, plan=q.get("plan") or None,
                                                 state=q.get("state") or None, unit_code=q.get("unit") or None,
                                                 period=q.get("period") or None)
        except coordination.BadFilter as exc:
            raise Refusal(400, "Bộ lọc không hợp lệ", str(exc), base)
        notice = _NOTICES.get(q.get("done", ""))
        return page("coordinator", view=view, base=base, notice=notice, size_text=size_text,
                    form_token=signer.form_token(COORDINATOR, unit.id, unit.version, now),
                    states=[(s, pages.STATE_WORDS[s]) for s in pages.STATE_WORDS])

    @linked(COORDINATOR)
    async def decide(request: Request, visit: Visit) -> Response:
        from tracker.services.submissions import accept_assignment, return_assignment

        unit, now, base = visit.unit, visit.now, visit.base
        form = await _form(request, base)
        _form_claim(form.get("form"), COORDINATOR, unit, now, base)
        assignment = _int(form.get("assignment"), base)
        if not await run_in_threadpool(coordination.coordinates_assignment, rt, unit.code, assignment):
            raise Refusal(403, "Không thuộc phạm vi điều phối", "Báo cáo này không thuộc kế hoạch do đơn vị điều phối.",
                          base)
        action, reason = form.get("action"), form.get("reason")
        actor = f"coordinator:{unit.code} via link"
        try:
            if action == "accept":
                await run_in_threadpool(lambda: accept_assignment(rt, now, assignment, actor=actor,
                                                                  client=visit.client))
            elif action == "return":
                if not isinstance(reason, str) or not reason.strip():
                    raise Refusal(400, "Thiếu lý do", "Hãy ghi lý do trả lại: đơn vị sẽ nhận được lý do này.", base)
                await run_in_threadpool(lambda: return_assignment(rt, now, assignment, reason=reason, actor=actor,
                                                                  client=visit.client))
            else:
                raise Refusal(400, "Yêu cầu không hợp lệ", "Không rõ thao tác (xác nhận hay trả lại).", base)
        except NothingToDecide:
            raise Refusal(409, "Đã xử lý", "Báo cáo này không có gì để xử lý thêm: đã được xác nhận, đã trả lại, "
                          "hoặc đơn vị chưa gửi.", base)
        except InputError as exc:
            raise Refusal(400, "Yêu cầu không hợp lệ", exc.message, base)
        return RedirectResponse(f"{base}?done={'accepted' if action == 'accept' else 'returned'}#q", status_code=303)

    @linked(COORDINATOR)
    def coordinator_file(request: Request, visit: Visit) -> Response:
        from tracker.services.submissions import files_root
        from tracker.store.files import read_file

        try:
            file_id = int(request.path_params["file_id"])
        except ValueError:
            return not_found()
        f = coordination.coordinator_file(rt, visit.unit.code, file_id)
        if f is None:
            return not_found()
        data = read_file(files_root(rt), f.sha256)
        ascii_name = f.name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
        return Response(data, media_type="application/octet-stream", headers={
            "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(f.name)}",
        })

    async def css(request: Request) -> Response:
        return Response(stylesheet(), media_type="text/css; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=3600"})

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    def _form_claim(value, page_name: str, unit: pages.LinkedUnit, now: datetime, back: str) -> dict:
        claim = signer.read_form(value) if isinstance(value, str) else None
        if claim is None or claim["page"] != page_name:
            raise Refusal(400, "Biểu mẫu không hợp lệ", "Biểu mẫu bị thiếu hoặc đã bị sửa. Hãy tải lại trang rồi gửi lại.",
                          back)
        if claim["unit_id"] != unit.id:
            raise Refusal(403, "Biểu mẫu của đơn vị khác", "Biểu mẫu này được tạo cho một đơn vị khác.", back)
        age = now.timestamp() - claim["issued"]
        if claim["version"] != unit.version or age > FORM_MAX_AGE_S or age < -300:
            raise Refusal(400, "Biểu mẫu đã hết hạn", "Biểu mẫu đã cũ. Hãy tải lại trang rồi gửi lại.", back)
        return claim

    async def _form(request: Request, back: str):
        if request.headers.get("content-type", "").split(";")[0].strip() not in (
                "multipart/form-data", "application/x-www-form-urlencoded"):
            raise Refusal(415, "Yêu cầu không hợp lệ", "Trang chỉ nhận biểu mẫu.", back)
        try:
            return await request.form(max_files=MAX_FILES, max_fields=MAX_FIELDS)
        except BodyTooLarge:
            raise Refusal(413, "Tệp quá lớn", f"Yêu cầu vượt quá giới hạn {web.max_upload_mb} MB.", back)
        except HTTPException as exc:  # too many files or fields, a malformed body
            raise Refusal(400, "Biểu mẫu không hợp lệ", f"Biểu mẫu không đọc được ({exc.detail}).", back)

    app = Starlette(routes=[
        Route("/u/{token}", unit_page, methods=["GET"]),
        Route("/u/{token}", unit_submit, methods=["POST"]),
        Route("/c/{token}", coordinator_page, methods=["GET"]),
        Route("/c/{token}/decide", decide, methods=["POST"]),
        Route("/c/{token}/files/{file_id}", coordinator_file, methods=["GET"]),
        Route("/static/app.css", css, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
    ], exception_handlers={
        Refusal: lambda request, exc: page("error", exc.status, heading=exc.heading, message=exc.message,
                                           back=exc.back),
        404: lambda request, exc: not_found(),
        405: lambda request, exc: page("error", 405, heading="Yêu cầu không hợp lệ",
                                       message="Phương thức này không được hỗ trợ.", back=None),
        StoreError: lambda request, exc: _unavailable(page, exc),
        Exception: lambda request, exc: _internal(page, exc),
    })
    app.add_middleware(SecurityHeaders, https=web.base_url.startswith("https://"))
    app.add_middleware(body_limit(limit))
    return app


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


def _int(value, back: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Refusal(400, "Biểu mẫu không hợp lệ", "Biểu mẫu thiếu thông tin nhiệm vụ. Hãy tải lại trang.", back) from None


def _unavailable(page, exc: Exception) -> Response:
    log.error("store unavailable: %s", exc)
    return page("error", 503, heading="Tạm thời không phục vụ được",
                message="Hệ thống đang bận hoặc bảo trì. Xin thử lại sau ít phút.", back=None)


def _internal(page, exc: Exception) -> Response:
    log.exception("internal error: %s", exc)
    return page("error", 500, heading="Lỗi hệ thống", message="Đã có lỗi; quản trị viên đã được ghi nhận.", back=None)


_REFUSAL_HEADINGS = {403: "Không có nhiệm vụ này", 409: "Không ghi nhận thêm", 413: "Tệp quá lớn",
                     415: "Loại tệp không được nhận"}
_NOTICES = {"accepted": "Đã xác nhận báo cáo.", "returned": "Đã trả lại báo cáo; đơn vị sẽ nhận thư nêu lý do."}
