"""The staff console (`/console/`): the CRM as server-rendered pages in Russian.

Every page calls the same services and view builders as `/crm/v1` (the premise and client
lists and cards, activity, sessions, imports, registration requests, mailings, the monitor), so
permissions and personal-data masking are exactly the API's. Handlers parse the query or form,
make the calls and render a template; no rule lives here.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Request, Response, Router, get, post
from litestar.datastructures import UploadFile
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from sqlalchemy.ext.asyncio import AsyncSession

from console import labels
from console.charts import monitor_chart
from console.security import (
    CSRF_FIELD,
    LOGIN_CSRF_COOKIE,
    SECURITY_HEADERS,
    SESSION_COOKIE,
    ConsoleSession,
    LoginRequired,
    actor_of,
    close_session,
    cookie,
    csrf_matches,
    expired_cookie,
    load_session,
    open_session,
)
from core.activity import service as activity_service
from core.clients import links as link_service
from core.clients import service as client_service
from core.clients.pii import PiiPolicy
from core.clients.service import ClientFilter
from core.errors import (
    DomainError,
    InvalidInput,
    NotAuthenticated,
    PermissionDenied,
    RateLimited,
)
from core.estate import objects as object_service
from core.estate import premises as premise_service
from core.estate import repository as estate
from core.estate.repository import PremiseFilter
from core.imports import export, formats
from core.imports.jobs import create_job, get_job, list_jobs
from core.models import ObjectGroup, Quarter, Staff
from core.notifications import devices, mailings, monitor
from core.orders import inbox as order_inbox
from core.orders import repository as orders
from core.orders import service as order_service
from core.partners import repository as partners
from core.partners import service as partner_service
from core.partners.service import PartnerPrincipal, staff_login
from core.registration import service as registration_service
from core.infra.runtime import Runtime
from core.infra.security import new_secret
from crm.activity.controller import feed_answer
from crm.clients.controller import client_card, client_rows
from crm.imports.controller import MAX_FILE, _stream, job_card
from crm.imports.controller import _need as need_import_permission
from crm.orders.controller import order_card, order_rows
from crm.premises.views import premise_card, premise_rows
from crm.push.controller import EARLIEST
from crm.registration.controller import request_item
from web.deps import Pages, client_ip, list_scope
from web.ids import parse_id, path_id
from web.problems import STATUS_OF

HERE = Path(__file__).parent
PAGE_SIZE = 25
DEMO_HINT = "admin@komfort.demo"


def template_config() -> TemplateConfig:
    environment = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True),
                              trim_blocks=True, lstrip_blocks=True)
    environment.globals.update(labels=labels.ALL, csrf_field=CSRF_FIELD)
    environment.filters["hex_color"] = labels.hex_color
    return TemplateConfig(engine=JinjaTemplateEngine.from_environment(environment))


class Console:
    """What every logged-in page has: the staff member, their session and CSRF token."""

    def __init__(self, actor: PartnerPrincipal, session: ConsoleSession, staff_name: str) -> None:
        self.actor = actor
        self.session = session
        self.staff_name = staff_name

    def need(self, permission: str) -> None:
        # The same refusal as the API's one permission check (web/deps.provide_partner).
        if not self.actor.can(permission):
            raise PermissionDenied.lacking(permission)

    def page(self, name: str, status_code: int = 200, **context: Any) -> Template:
        context.update(staff_name=self.staff_name, csrf=self.session.csrf, can=self.actor.can)
        return Template(template_name=name, context=context, status_code=status_code, headers=SECURITY_HEADERS)


class AdminHome(Exception):
    """The platform admin opened a partner's page: they have no partner, their pages are elsewhere."""


ADMIN_HOME = "/console/admin/partners"


async def provide_console(request: Request, runtime: Runtime, db: AsyncSession) -> Console:
    session = await load_session(runtime, request)
    if session is None:
        raise LoginRequired
    if session.admin:
        raise AdminHome
    try:
        actor = await actor_of(runtime, db, request, session)
    except NotAuthenticated:
        await close_session(runtime, session)
        raise LoginRequired from None
    name = await partners.staff_name(db, actor.actor_id) or ""
    return Console(actor, session, name)


def bare_page(name: str, status_code: int = 200, **context: Any) -> Template:
    context.setdefault("staff_name", None)
    return Template(template_name=name, context=context, status_code=status_code, headers=SECURITY_HEADERS)


# --- CSRF: every POST of the console, checked before any handler runs -------------------------

LOGIN_PATHS = ("/console/login", "/console/admin/login")  # no session yet: a double-submit cookie


async def check_csrf(request: Request) -> Response | None:
    if request.method != "POST":
        return None
    form = await request.form()
    given = form.get(CSRF_FIELD)
    if request.url.path.rstrip("/") in LOGIN_PATHS:
        expected = request.cookies.get(LOGIN_CSRF_COOKIE)
    else:
        session = await load_session(request.app.state.runtime, request)
        expected = session.csrf if session else None
    if not csrf_matches(expected, given if isinstance(given, str) else None):
        return bare_page("error.html", 403, title="Запрос отклонён",
                         message="Форма устарела или отправлена не из консоли. Обновите страницу и попробуйте ещё раз.")
    return None


# --- errors --------------------------------------------------------------------------------

TITLE_OF = {400: "Проверьте данные", 403: "Недостаточно прав", 404: "Не найдено", 409: "Конфликт",
            422: "Действие невозможно", 429: "Слишком много запросов", 503: "Сервис временно недоступен"}


def _to_login(request: Request, exc: Exception) -> Response:
    runtime = request.app.state.runtime
    return Redirect("/console/", status_code=303, cookies=[expired_cookie(runtime, SESSION_COOKIE)],
                    headers=SECURITY_HEADERS)


def error_message(exc: DomainError) -> str:
    detail = str(exc.detail) if getattr(exc, "detail", None) else "Не удалось выполнить действие"
    errors = getattr(exc, "errors", None) or []
    extra = "; ".join(e.message for e in errors if getattr(e, "message", None))
    return f"{detail}: {extra}" if extra and extra not in detail else detail


def status_of(exc: DomainError) -> int:
    """The API's status for the error (web/problems)."""
    return next((s for cls, s in STATUS_OF.items() if isinstance(exc, cls)), 400)


def _domain_error(request: Request, exc: DomainError) -> Response:
    # The API's status, with a page instead of a problem document.
    status = status_of(exc)
    return bare_page("error.html", status, title=TITLE_OF.get(status, "Ошибка"), message=error_message(exc))


def _http_error(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    message = "Страница не найдена" if status == 404 else "Некорректный запрос"
    return bare_page("error.html", status, title=TITLE_OF.get(status, "Ошибка"), message=message)


def _to_admin_home(request: Request, exc: AdminHome) -> Response:
    return Redirect(ADMIN_HOME, status_code=303, headers=SECURITY_HEADERS)


EXCEPTION_HANDLERS = {LoginRequired: _to_login, NotAuthenticated: _to_login, AdminHome: _to_admin_home,
                      DomainError: _domain_error, HTTPException: _http_error}


# --- helpers -------------------------------------------------------------------------------

def _opt_id(value: str | None, field: str) -> uuid.UUID | None:
    return parse_id(value, field) if value else None


def _pages(request: Request, console: Console) -> Pages:
    """The list's cursors, sealed and bound as the API's (STAFF-02)."""
    return Pages(request.app.state.runtime.cursors, list_scope(request, f"partner:{console.actor.partner_id}"))


def _query(request: Request, **changes: Any) -> str:
    """The page's query string with `changes` applied: pagination keeps the filters."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in changes and v != ""]
    params += [(k, v) for k, v in changes.items() if v not in (None, "")]
    return urlencode(params)


def _choice(value: str | None, allowed) -> str | None:
    return value if value in allowed else None


async def _objects(db: AsyncSession, actor: PartnerPrincipal) -> list:
    rows, _ = await object_service.list_objects(db, actor, q=None, cursor=None, limit=200)
    return rows


async def _form(request: Request) -> dict[str, Any]:
    form = await request.form()
    return {k: v for k, v in form.items()}


async def _rollback(db: AsyncSession) -> None:
    # A refused write renders a page in the same request: nothing it flushed may be committed.
    if db.in_transaction():
        await db.rollback()


# --- login / logout ------------------------------------------------------------------------

@get("/", name="console:index")
async def index(request: Request, runtime: Runtime, db: AsyncSession) -> Response:
    session = await load_session(runtime, request)
    if session is not None and session.admin:
        return Redirect(ADMIN_HOME, status_code=303, headers=SECURITY_HEADERS)
    if session is not None:
        try:
            await actor_of(runtime, db, request, session)
            return Redirect("/console/premises", status_code=303, headers=SECURITY_HEADERS)
        except NotAuthenticated:
            await close_session(runtime, session)
    return _login_form(runtime)


def _login_form(runtime: Runtime, *, status_code: int = 200, error: str | None = None, email: str = "",
                admin: bool = False) -> Response:
    token = new_secret(24)
    page = bare_page("login.html", status_code, login_csrf=token, error=error, email=email, admin=admin)
    page.cookies.append(cookie(runtime, LOGIN_CSRF_COOKIE, token, max_age=3600))
    page.cookies.append(expired_cookie(runtime, SESSION_COOKIE))
    return page


@post("/login", name="console:login", status_code=303)
async def login(request: Request, runtime: Runtime, db: AsyncSession) -> Response:
    form = await _form(request)
    email, password = str(form.get("email") or "").strip(), str(form.get("password") or "")
    if not email or not password or len(email) > 320 or len(password) > 200:
        return _login_form(runtime, status_code=400, error="Введите e-mail и пароль", email=email[:320])
    try:
        token = await staff_login(runtime, db, email=email, password=password, ip=client_ip(request))
    except RateLimited as exc:
        return _login_form(runtime, status_code=429, error=str(exc.detail), email=email)
    except NotAuthenticated:
        return _login_form(runtime, status_code=401, error="Неверный e-mail или пароль", email=email)
    session = await open_session(runtime, token)
    return Redirect("/console/premises", status_code=303, headers=SECURITY_HEADERS, cookies=[
        cookie(runtime, SESSION_COOKIE, session.session_id, max_age=runtime.settings.staff_token_ttl),
        expired_cookie(runtime, LOGIN_CSRF_COOKIE)])


@post("/logout", name="console:logout", status_code=303)
async def logout(request: Request, runtime: Runtime) -> Response:
    session = await load_session(runtime, request)
    if session is not None:
        await close_session(runtime, session)
    return Redirect("/console/", status_code=303, cookies=[expired_cookie(runtime, SESSION_COOKIE)],
                    headers=SECURITY_HEADERS)


# --- premises ------------------------------------------------------------------------------

def _premise_filter(request: Request) -> tuple[PremiseFilter, str]:
    qp = request.query_params
    flt = PremiseFilter(q=(qp.get("q") or "").strip()[:200] or None,
                        type=_choice(qp.get("type"), labels.PREMISE_TYPES),
                        object_id=_opt_id(qp.get("object_id"), "object_id"),
                        object_group_id=_opt_id(qp.get("object_group_id"), "object_group_id"),
                        quarter_id=_opt_id(qp.get("quarter_id"), "quarter_id"),
                        client_id=_opt_id(qp.get("client_id"), "client_id"),
                        tags=[t for t in qp.getall("tag", []) if t][:20])
    return flt, _choice(qp.get("sort"), labels.PREMISE_SORTS) or "address"


@get("/premises", name="console:premises")
async def premises_page(request: Request, console: Console, db: AsyncSession) -> Template:
    flt, sort = _premise_filter(request)
    cursor = request.query_params.get("cursor") or None
    pages = _pages(request, console)
    rows, next_cursor = await estate.list_premises(db, console.actor, flt, sort=sort,
                                                           cursor=pages.open(cursor), limit=PAGE_SIZE)
    next_cursor = pages.seal(next_cursor)
    items = await premise_rows(db, console.actor, rows)
    return console.page(
        "premises.html", nav="premises", items=items, objects=await _objects(db, console.actor),
        groups=await object_service.list_groups(db, console.actor, ObjectGroup),
        quarters=await object_service.list_groups(db, console.actor, Quarter),
        q=flt.q or "", type=flt.type or "", object_id=request.query_params.get("object_id") or "", sort=sort,
        object_group_id=request.query_params.get("object_group_id") or "",
        quarter_id=request.query_params.get("quarter_id") or "",
        tag=", ".join(flt.tags), paged=bool(cursor),
        next_url=f"/console/premises?{_query(request, cursor=next_cursor)}" if next_cursor else None,
        first_url=f"/console/premises?{_query(request, cursor=None)}",
        export_url=f"/console/export/premises?{_query(request, cursor=None)}")


@get("/export/premises", name="console:export-premises")
async def export_premises(request: Request, console: Console, db: AsyncSession) -> Response:
    flt, sort = _premise_filter(request)
    response = _stream(await export.export_premises(db, console.actor, flt, sort), "premises.xlsx")
    response.headers.update(SECURITY_HEADERS)
    return response


@get("/premises/{premise_id:str}", name="console:premise")
async def premise_page(request: Request, console: Console, db: AsyncSession, premise_id: str) -> Template:
    return await _premise_view(request, console, db, path_id(premise_id))


async def _premise_view(request: Request, console: Console, db: AsyncSession, premise_id: uuid.UUID, *,
                        error: str | None = None, status_code: int = 200) -> Template:
    card = await premise_card(db, console.actor, await premise_service.get_premise(db, console.actor, premise_id))
    client_q = (request.query_params.get("client_q") or "").strip()[:200]
    found = []
    if client_q and console.actor.can("premises.edit"):
        rows, _ = await client_service.list_clients(db, console.actor, ClientFilter(q=client_q), sort="name",
                                                    cursor=None, limit=10)
        found = await client_rows(db, console.actor, rows)
    owners = [c for c in card.clients if c.role in ("owner", "unconfirmed_owner")]
    return console.page("premise.html", status_code, nav="premises", card=card, client_q=client_q, found=found,
                        owners=owners, error=error, linked=request.query_params.get("linked") == "1",
                        unlinked=request.query_params.get("unlinked") == "1")


@post("/premises/{premise_id:str}/clients", name="console:link")
async def link_client(request: Request, console: Console, db: AsyncSession, runtime: Runtime,
                      premise_id: str) -> Response:
    """CRM-LINK-01 through the same service as `POST /crm/v1/premises/{id}/clients`."""
    console.need("premises.edit")
    form = await _form(request)
    premise = path_id(premise_id)
    back_client = form.get("back") == "client"
    changes: dict[str, Any] = {"client_id": parse_id(str(form.get("client_id") or ""), "client_id"),
                               "role": _choice(str(form.get("role") or ""), labels.ROLES)}
    if changes["role"] is None:
        error = "Выберите роль"
    else:
        error = None
        if form.get("depends_on_client_id"):
            changes["depends_on_client_id"] = parse_id(str(form["depends_on_client_id"]), "depends_on_client_id")
        if form.get("rent_day"):
            try:
                changes["rent_day"] = int(str(form["rent_day"]))
            except ValueError:
                error = "День оплаты аренды — число от 1 до 31"
    if error is None:
        try:
            await link_service.add_link(db, console.actor, premise, changes, today=runtime.clock.now().date())
        except (InvalidInput, DomainError) as exc:
            if isinstance(exc, (NotAuthenticated, PermissionDenied)):
                raise
            await _rollback(db)
            error = error_message(exc)
    if error is not None:
        if back_client:
            return await _client_view(request, console, db, changes["client_id"], error=error, status_code=400)
        return await _premise_view(request, console, db, premise, error=error, status_code=400)
    target = (f"/console/clients/{changes['client_id']}?linked=1" if back_client
              else f"/console/premises/{premise}?linked=1")
    return Redirect(target, status_code=303, headers=SECURITY_HEADERS)


@post("/premises/{premise_id:str}/clients/{client_id:str}/remove", name="console:unlink")
async def unlink_client(request: Request, console: Console, db: AsyncSession, premise_id: str,
                        client_id: str) -> Response:
    """The same removal as `DELETE /crm/v1/premises/{id}/clients/{client_id}` (its dependants go too)."""
    console.need("premises.edit")
    await link_service.remove_link(db, console.actor, path_id(premise_id), path_id(client_id))
    return Redirect(f"/console/premises/{premise_id}?unlinked=1", status_code=303, headers=SECURITY_HEADERS)


# --- clients -------------------------------------------------------------------------------

def _client_filter(request: Request) -> tuple[ClientFilter, str]:
    qp = request.query_params
    flt = ClientFilter(q=(qp.get("q") or "").strip()[:200] or None,
                       status=_choice(qp.get("status"), labels.CLIENT_STATUSES),
                       type=_choice(qp.get("type"), labels.CLIENT_TYPES), tag=(qp.get("tag") or "").strip()[:50] or None,
                       object_id=_opt_id(qp.get("object_id"), "object_id"))
    return flt, _choice(qp.get("sort"), labels.CLIENT_SORTS) or "name"


@get("/export/clients", name="console:export-clients")
async def export_clients(request: Request, console: Console, db: AsyncSession) -> Response:
    console.need("reports.clients")  # as `GET /crm/v1/export/clients`
    flt, sort = _client_filter(request)
    response = _stream(await export.export_clients(db, console.actor, flt, sort), "clients.xlsx")
    response.headers.update(SECURITY_HEADERS)
    return response


@get("/clients", name="console:clients")
async def clients_page(request: Request, console: Console, db: AsyncSession) -> Template:
    flt, sort = _client_filter(request)
    cursor = request.query_params.get("cursor") or None
    pages = _pages(request, console)
    rows, next_cursor = await client_service.list_clients(db, console.actor, flt, sort=sort,
                                                          cursor=pages.open(cursor), limit=PAGE_SIZE)
    next_cursor = pages.seal(next_cursor)
    items = await client_rows(db, console.actor, rows)
    return console.page(
        "clients.html", nav="clients", items=items, q=flt.q or "", status=flt.status or "", sort=sort,
        type=flt.type or "", tag=flt.tag or "", object_id=request.query_params.get("object_id") or "",
        objects=await _objects(db, console.actor), paged=bool(cursor),
        export_url=f"/console/export/clients?{_query(request, cursor=None)}",
        next_url=f"/console/clients?{_query(request, cursor=next_cursor)}" if next_cursor else None,
        first_url=f"/console/clients?{_query(request, cursor=None)}")


@get("/clients/{client_id:str}", name="console:client")
async def client_page(request: Request, console: Console, db: AsyncSession, client_id: str) -> Template:
    return await _client_view(request, console, db, path_id(client_id))


async def _client_view(request: Request, console: Console, db: AsyncSession, client_id: uuid.UUID, *,
                       error: str | None = None, status_code: int = 200) -> Template:
    actor = console.actor
    card = await client_card(db, actor, await client_service.get_client(db, actor, client_id))
    activity = sessions = None
    if actor.can("clients.activity"):
        rows, _, counters = await activity_service.client_feed(
            db, actor, client_id, activity_service.Filters(q=None, type=None, status=None, premise_id=None),
            cursor=None, limit=20)
        activity = await feed_answer(db, actor, rows, None, counters)  # the first page; the API pages on
    if actor.can("sessions.manage"):
        sessions = await devices.client_sessions(db, actor, client_id)
    sent, _ = await mailings.client_mailings(db, actor, client_id, q=None, status=None, channel=None, staff_id=None,
                                            period_from=None, period_to=None, cursor=None, limit=20)
    premise_q = (request.query_params.get("premise_q") or "").strip()[:200]
    found = []
    if premise_q and actor.can("premises.edit"):
        rows, _ = await estate.list_premises(db, actor, PremiseFilter(q=premise_q), sort="address",
                                                      cursor=None, limit=10)
        found = await premise_rows(db, actor, rows)
    return console.page("client.html", status_code, nav="clients", card=card, activity=activity, sessions=sessions,
                        mailings=sent, premise_q=premise_q, found=found, error=error,
                        linked=request.query_params.get("linked") == "1",
                        ended=request.query_params.get("ended") == "1")


@post("/sessions/{session_id:str}/deactivate", name="console:end-session")
async def end_session(request: Request, console: Console, db: AsyncSession, runtime: Runtime,
                      session_id: str) -> Response:
    """PUSH-03 through the same service as `DELETE /crm/v1/sessions/{id}`."""
    console.need("sessions.manage")
    form = await _form(request)
    client_id = parse_id(str(form.get("client_id") or ""), "client_id")
    await devices.staff_deactivate(runtime, db, console.actor, path_id(session_id))
    return Redirect(f"/console/clients/{client_id}?ended=1", status_code=303, headers=SECURITY_HEADERS)


# --- import --------------------------------------------------------------------------------

@get("/import", name="console:import")
async def import_page(request: Request, console: Console, db: AsyncSession) -> Template:
    return await _import_view(request, console, db)


async def _import_view(request: Request, console: Console, db: AsyncSession, *, error: str | None = None,
                       status_code: int = 200) -> Template:
    """The upload form over the partner's import jobs, newest first (as `GET /crm/v1/import/jobs`)."""
    qp = request.query_params
    kind = _choice(qp.get("kind"), labels.IMPORT_KINDS)
    status = _choice(qp.get("status"), labels.JOB_STATUSES)
    cursor = qp.get("cursor") or None
    pages = _pages(request, console)
    rows, next_cursor = await list_jobs(db, console.actor, kind=kind, status=status, cursor=pages.open(cursor),
                                        limit=PAGE_SIZE)
    next_cursor = pages.seal(next_cursor)
    return console.page("import.html", status_code, nav="import", error=error, jobs=[job_card(j) for j in rows],
                        kind=kind or "", status=status or "", paged=bool(cursor),
                        next_url=f"/console/import?{_query(request, cursor=next_cursor)}" if next_cursor else None,
                        first_url=f"/console/import?{_query(request, cursor=None)}")


@get("/import/template/{kind:str}", name="console:import-template")
async def import_template(console: Console, kind: str) -> Response:
    if kind not in formats.COLUMNS:
        raise HTTPException(status_code=404)
    content = await asyncio.to_thread(formats.template, kind)
    return Response(content, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{kind}-template.xlsx"'})


@post("/import", name="console:upload")
async def upload_import(request: Request, console: Console, db: AsyncSession, runtime: Runtime) -> Response:
    """IMPORT-08: the same job as `POST /crm/v1/import/{kind}/file`; the worker runs it."""
    form = await request.form()
    kind = form.get("kind")
    upload = form.get("file")
    error = None
    if kind not in formats.COLUMNS:
        error = "Выберите, что загружаете: клиентов или помещения"
    elif not isinstance(upload, UploadFile) or not upload.filename:
        error = "Выберите файл Excel (.xlsx) по шаблону"
    if error is None:
        need_import_permission(console.actor, kind)
        name = upload.filename
        fmt = "xlsx" if name.lower().endswith(".xlsx") else "xml" if name.lower().endswith(".xml") else None
        size = await asyncio.to_thread(lambda: upload.file.seek(0, 2))
        if fmt is None:
            error = "Загрузите файл Excel (.xlsx) по шаблону или XML"
        elif size > MAX_FILE:
            error = "Файл больше 50 МБ: разделите его на части"
    if error is not None:
        return await _import_view(request, console, db, error=error, status_code=400)
    await asyncio.to_thread(upload.file.seek, 0)
    job = await create_job(runtime, db, console.actor, kind=kind, fmt=fmt, file_name=name, source=upload.file)
    return Redirect(f"/console/import/jobs/{job.id}", status_code=303, headers=SECURITY_HEADERS)


@get("/import/jobs/{job_id:str}", name="console:import-job")
async def import_job_page(console: Console, db: AsyncSession, job_id: str) -> Template:
    job = job_card(await get_job(db, console.actor, path_id(job_id)))
    return console.page("import_job.html", nav="import", job=job)


@get("/import/jobs/{job_id:str}/progress", name="console:import-progress")
async def import_job_progress(console: Console, db: AsyncSession, job_id: str) -> Template:
    """The progress block alone, which the page's script fetches again while the job runs."""
    job = job_card(await get_job(db, console.actor, path_id(job_id)))
    return console.page("_import_progress.html", job=job)


# --- orders --------------------------------------------------------------------------------

@get("/orders", name="console:orders")
async def orders_page(request: Request, console: Console, db: AsyncSession) -> Template:
    """The orders inbox from the same query and rows as `GET /crm/v1/orders` (APP-ORD-02, STAFF-02)."""
    qp = request.query_params
    unseen = {"1": True, "0": False}.get(qp.get("unseen") or "")
    flt = orders.OrderFilter(kind=_choice(qp.get("kind"), labels.ORDER_KINDS),
                                  status=_choice(qp.get("status"), labels.ORDER_STATUSES), unseen=unseen,
                                  q=(qp.get("q") or "").strip()[:200] or None, premise_id=None, client_id=None)
    cursor = qp.get("cursor") or None
    pages = _pages(request, console)
    rows, next_cursor = await orders.list_orders(db, console.actor, flt, sort="-updated_at",
                                                      cursor=pages.open(cursor), limit=PAGE_SIZE)
    next_cursor = pages.seal(next_cursor)
    return console.page(
        "orders.html", nav="orders", items=await order_rows(db, console.actor, rows), q=flt.q or "",
        kind=flt.kind or "", status=flt.status or "", unseen=qp.get("unseen") if unseen is not None else "",
        paged=bool(cursor), first_url=f"/console/orders?{_query(request, cursor=None)}",
        next_url=f"/console/orders?{_query(request, cursor=next_cursor)}" if next_cursor else None)


@get("/orders/{order_id:str}", name="console:order")
async def order_page(request: Request, console: Console, db: AsyncSession, runtime: Runtime,
                     order_id: str) -> Template:
    """One order, opened as `GET /crm/v1/orders/{id}` opens it: the resident's changes count as seen."""
    order = await order_inbox.open_order(db, console.actor, runtime.clock, path_id(order_id))
    return await _order_view(request, console, db, order)


async def _order_view(request: Request, console: Console, db: AsyncSession, order, *, error: str | None = None,
                      status_code: int = 200) -> Template:
    client = await client_card(db, console.actor, await client_service.get_client(db, console.actor, order.client_id))
    premise = None
    if order.premise_id:
        premise = await premise_card(db, console.actor,
                                     await premise_service.get_premise(db, console.actor, order.premise_id))
    return console.page("order.html", status_code, nav="orders", order=order_card(order), client=client,
                        premise=premise, error=error, saved=request.query_params.get("saved") == "1")


@post("/orders/{order_id:str}", name="console:update-order")
async def update_order(request: Request, console: Console, db: AsyncSession, runtime: Runtime,
                       order_id: str) -> Response:
    """APP-ORD-02 through the same service as `PATCH /crm/v1/orders/{id}`: the change is pushed to the
    resident."""
    console.need("clients.edit")
    form = await _form(request)
    order_uuid = path_id(order_id)
    changes: dict[str, Any] = {}
    status = str(form.get("status") or "")
    if status:
        changes["status"] = status
    comment = str(form.get("staff_comment") or "").strip()
    error = None
    if len(comment) > 5000:
        error = "Комментарий — до 5000 символов"
    elif comment:
        changes["staff_comment"] = comment
    if error is None:
        try:
            await order_service.update_order(db, console.actor, runtime.clock, order_uuid, changes)
        except DomainError as exc:
            if isinstance(exc, (NotAuthenticated, PermissionDenied)):
                raise
            await _rollback(db)
            error = error_message(exc)
    if error is not None:
        order = await order_inbox.open_order(db, console.actor, runtime.clock, order_uuid)
        return await _order_view(request, console, db, order, error=error, status_code=400)
    return Redirect(f"/console/orders/{order_uuid}?saved=1", status_code=303, headers=SECURITY_HEADERS)


# --- registration requests -----------------------------------------------------------------

@get("/registration-requests", name="console:registration")
async def registration_page(request: Request, console: Console, db: AsyncSession) -> Template:
    return await _registration_view(request, console, db)


async def _registration_view(request: Request, console: Console, db: AsyncSession, *, error: str | None = None,
                             status_code: int = 200) -> Template:
    console.need("reports.registration_requests")
    actor = console.actor
    status = _choice(request.query_params.get("status"), labels.REQUEST_STATUSES) or "pending"
    pages = _pages(request, console)
    rows, next_cursor = await registration_service.list_requests(
        db, actor, kind=None, status=status, cursor=pages.open(request.query_params.get("cursor") or None),
        limit=PAGE_SIZE)
    next_cursor = pages.seal(next_cursor)
    items = [request_item(r, PiiPolicy.of(actor)) for r in rows]
    candidates: dict[str, list] = {}
    inexact: set[str] = set()  # requests whose number matches no premise: the staff pick one
    if status == "pending":
        for r in rows:
            # Premises the request may mean: its number in its object (or anywhere, without one).
            flt = PremiseFilter(q=r.number or None, object_id=r.object_id)
            found, _ = await estate.list_premises(db, actor, flt, sort="address", cursor=None, limit=10)
            exact = [p for p in found if p.Premise.number == r.number]
            # The rows (masked as in the premise list) carry each premise's owners, whom a
            # resident, representative or tenant must depend on.
            candidates[str(r.id)] = await premise_rows(db, actor, exact or found)
            if found and not exact:
                inexact.add(str(r.id))
    return console.page("registration.html", status_code, nav="registration", items=items, status=status,
                        candidates=candidates, inexact=inexact, error=error,
                        decided=request.query_params.get("decided"),
                        next_url=f"/console/registration-requests?{_query(request, cursor=next_cursor)}"
                        if next_cursor else None)


@post("/registration-requests/{request_id:str}/approve", name="console:approve")
async def approve_request(request: Request, console: Console, db: AsyncSession, runtime: Runtime,
                          request_id: str) -> Response:
    """STAFF-05 through the same service as the API's approve."""
    console.need("reports.registration_requests")
    form = await _form(request)
    role = _choice(str(form.get("role") or ""), labels.ROLES)
    if not form.get("premise_id") or role is None:
        return await _registration_view(request, console, db, error="Выберите помещение и роль", status_code=400)
    try:
        await registration_service.approve(
            db, console.actor, runtime.clock, path_id(request_id),
            premise_id=parse_id(str(form["premise_id"]), "premise_id"),
            link_fields={"role": role, "rent_day": None, "depends_on_client_id":
                         _opt_id(str(form.get("depends_on_client_id") or ""), "depends_on_client_id")})
    except DomainError as exc:
        if isinstance(exc, (NotAuthenticated, PermissionDenied)):
            raise
        await _rollback(db)
        return await _registration_view(request, console, db, error=error_message(exc), status_code=400)
    return Redirect("/console/registration-requests?decided=approved", status_code=303, headers=SECURITY_HEADERS)


@post("/registration-requests/{request_id:str}/reject", name="console:reject")
async def reject_request(request: Request, console: Console, db: AsyncSession, runtime: Runtime,
                         request_id: str) -> Response:
    console.need("reports.registration_requests")
    form = await _form(request)
    reason = str(form.get("reason") or "").strip()[:1000] or None
    await registration_service.reject(db, console.actor, runtime.clock, path_id(request_id), reason=reason)
    return Redirect("/console/registration-requests?decided=rejected", status_code=303, headers=SECURITY_HEADERS)


# --- mailings ------------------------------------------------------------------------------

@get("/mailings", name="console:mailings")
async def mailings_page(request: Request, console: Console, db: AsyncSession) -> Template:
    return await _mailings_view(request, console, db)


async def _mailings_view(request: Request, console: Console, db: AsyncSession, *, error: str | None = None,
                         values: dict | None = None, status_code: int = 200) -> Template:
    """The compose form over the partner's mailings, newest first, each with its recipients counted
    by status (as `GET /crm/v1/mailings` and `GET /crm/v1/mailings/{id}`)."""
    console.need("mailings.send")
    qp = request.query_params
    q = (qp.get("q") or "").strip()[:200]
    channel = _choice(qp.get("channel"), labels.CHANNELS)
    status = _choice(qp.get("status"), labels.MAILING_STATUSES)
    sender_id = _opt_id(qp.get("sender_id"), "sender_id")
    cursor = qp.get("cursor") or None
    pages = _pages(request, console)
    rows, next_cursor = await mailings.list_mailings(db, console.actor, q=q or None, channel=channel, status=status,
                                                     staff_id=sender_id, cursor=pages.open(cursor), limit=PAGE_SIZE)
    next_cursor = pages.seal(next_cursor)
    counts = await mailings.recipient_counts(db, [r.id for r in rows])
    sent = [(r, mailings.summary(counts.get(r.id, {}))) for r in rows]
    return console.page("mailings.html", status_code, nav="mailings", objects=await _objects(db, console.actor),
                        error=error, values=values or {}, sent=sent, q=q, channel=channel or "",
                        status=status or "", sender_id=str(sender_id or ""), senders=await _colleagues(db, console),
                        paged=bool(cursor),
                        next_url=f"/console/mailings?{_query(request, cursor=next_cursor)}" if next_cursor else None,
                        first_url=f"/console/mailings?{_query(request, cursor=None)}")


@post("/mailings", name="console:send-mailing")
async def send_mailing(request: Request, console: Console, db: AsyncSession, runtime: Runtime) -> Response:
    """PUSH-06 through the same service as `POST /crm/v1/mailings`."""
    console.need("mailings.send")
    form = await request.form()
    values = {"channel": form.get("channel") or "push", "title": str(form.get("title") or "").strip(),
              "body": str(form.get("body") or "").strip(), "object_id": form.get("object_id") or "",
              "premise_types": form.getall("premise_types", []), "roles": form.getall("roles", []),
              "tags": str(form.get("tags") or ""), "include_blocked": bool(form.get("include_blocked"))}
    error = None
    if values["channel"] not in labels.CHANNELS:
        error = "Выберите канал"
    elif not values["title"] or not values["body"]:
        error = "Заполните заголовок и текст"
    elif len(values["title"]) > 300 or len(values["body"]) > 4000:
        error = "Заголовок — до 300 символов, текст — до 4000"
    if error is None:
        try:
            flt = mailings.filter_from({
                "object_id": values["object_id"] or None, "premise_types": values["premise_types"],
                "roles": values["roles"], "include_blocked": values["include_blocked"],
                "tags": [t.strip() for t in values["tags"].split(",") if t.strip()]})
            mailing = await mailings.create_mailing(db, console.actor, channel=values["channel"],
                                                    title=values["title"], body=values["body"], flt=flt,
                                                    now=runtime.clock.now())
        except InvalidInput as exc:
            await _rollback(db)
            error = error_message(exc)
    if error is not None:
        return await _mailings_view(request, console, db, error=error, values=values, status_code=400)
    return Redirect(f"/console/mailings/{mailing.id}", status_code=303, headers=SECURITY_HEADERS)


@get("/mailings/{mailing_id:str}", name="console:mailing")
async def mailing_page(console: Console, db: AsyncSession, mailing_id: str) -> Template:
    mailing, counts = await mailings.get_mailing(db, console.actor, path_id(mailing_id))
    return console.page("mailing.html", nav="mailings", mailing=mailing, counts=counts)


@get("/mailings/{mailing_id:str}/progress", name="console:mailing-progress")
async def mailing_progress(console: Console, db: AsyncSession, mailing_id: str) -> Template:
    mailing, counts = await mailings.get_mailing(db, console.actor, path_id(mailing_id))
    return console.page("_mailing_progress.html", mailing=mailing, counts=counts)


async def _colleagues(db: AsyncSession, console: Console) -> list[Staff]:
    """The partner's staff members, who may have sent a mailing (the sender filter's choices)."""
    rows, _ = await partner_service.list_staff(db, console.actor.partner_id, cursor=None, limit=200)
    return rows


# --- push monitor --------------------------------------------------------------------------

def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise InvalidInput.field("period", "Дата в формате ГГГГ-ММ-ДД") from None


@get("/monitor", name="console:monitor")
async def monitor_page(request: Request, console: Console, db: AsyncSession, runtime: Runtime) -> Template:
    """PUSH-07 from the same query as `GET /crm/v1/monitor/push`."""
    qp = request.query_params
    granularity = _choice(qp.get("granularity"), ("day", "week")) or "day"
    end = _date(qp.get("to")) or runtime.clock.now().date()
    start = _date(qp.get("from")) or end - timedelta(days=29 if granularity == "day" else 7 * 12 - 1)
    if start < EARLIEST or end < start or (end - start).days > 731:
        raise InvalidInput("Период: с 2000 года, не длиннее двух лет, начало не позже конца")
    buckets, total = await monitor.push_monitor(db, console.actor.partner_id, start=start, end=end,
                                                granularity=granularity)
    return console.page("monitor.html", nav="monitor", buckets=buckets, total=total, granularity=granularity,
                        start=start.isoformat(), end=end.isoformat(), chart=monitor_chart(buckets, granularity))


@get("/{rest:path}", name="console:not-found")
async def not_found(rest: str) -> Template:
    """Any other address under /console/: a page, not the API's JSON problem."""
    return bare_page("error.html", 404, title="Не найдено", message="Страница не найдена")


STATIC = create_static_files_router(path="/console/static", directories=[HERE / "static"], name="console-static",
                                    include_in_schema=False, send_as_attachment=False)

router = Router(
    path="/console",
    route_handlers=[index, login, logout, premises_page, export_premises, premise_page, link_client, unlink_client, clients_page, export_clients,
                    client_page, end_session, orders_page, order_page, update_order, import_page, import_template, upload_import, import_job_page,
                    import_job_progress, registration_page, approve_request, reject_request, mailings_page,
                    send_mailing, mailing_page, mailing_progress, monitor_page, not_found],
    dependencies={"console": Provide(provide_console)},
    before_request=check_csrf,
    exception_handlers=EXCEPTION_HANDLERS,
    include_in_schema=False,
)
