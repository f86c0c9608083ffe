"""The platform admin's console pages (`/console/admin/`): partners, brands with their colours,
roles and permissions, staff and API keys, over the services and request schemas of `/crm/v1/partners`."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import msgspec
from litestar import Request, Response, Router, get, post
from litestar.di import Provide
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from console import labels
from console.controller import (
    ADMIN_HOME,
    EXCEPTION_HANDLERS,
    PAGE_SIZE,
    _choice,
    _form,
    _login_form,
    _query,
    _rollback,
    check_csrf,
    error_message,
    status_of,
)
from console.security import (
    LOGIN_CSRF_COOKIE,
    SECURITY_HEADERS,
    SESSION_COOKIE,
    ConsoleSession,
    LoginRequired,
    close_session,
    cookie,
    expired_cookie,
    flash,
    load_session,
    open_session,
    take_flash,
)
from core.errors import DomainError, InvalidInput, PermissionDenied, RateLimited
from core.models import Brand, Role
from core.partners import service
from core.partners.service import admin_sign_in, is_platform_admin
from core.infra.runtime import Runtime
from crm.admin.schemas import (
    CreateApiKeyRequest,
    CreateBrandRequest,
    CreatePartnerRequest,
    CreateRoleRequest,
    CreateStaffRequest,
    UpdatePartnerRequest,
    UpdateRoleRequest,
    UpdateStaffRequest,
)
from web.deps import Pages, client_ip, list_scope
from web.ids import path_id
from web.schemas import changes_of

ADMIN_NAME = "Администратор платформы"
# What a refused form field means, in the words of the form (the schemas are the API's).
FIELD_ERRORS = {
    "name": "Заполните название (до 200 символов)",
    "kind": "Выберите тип партнёра",
    "products": "Выберите продукты из списка",
    "default_brand_slug": "Выберите бренд партнёра",
    "slug": "Slug: от 2 до 64 знаков — строчные латинские буквы, цифры, «-» и «_»",
    "icon_url": "Ссылка на иконку — адрес http:// или https://",
    "logo_url": "Ссылка на логотип — адрес http:// или https://",
    "app_url": "Ссылка на приложение — адрес http:// или https://",
    "permissions": "Выберите разрешения из списка",
    "email": "Введите e-mail сотрудника",
    "password": "Пароль — от 8 до 200 символов",
    "role_id": "Выберите роль",
    **{f"colors.{code}": f"Цвет «{name}» — в формате #RRGGBB или #RRGGBBAA"
       for code, name in labels.BRAND_COLORS.items()},
}
UNFILTERED_TABS = {"brands": Brand, "roles": Role}
_AT = re.compile(r"at `\$\.?([\w.\[\]]*)`")
_MISSING = re.compile(r"required field `(\w+)`")


class AdminConsole:
    """What every admin page has: the session and its CSRF token."""

    def __init__(self, session: ConsoleSession) -> None:
        self.session = session

    def page(self, name: str, status_code: int = 200, **context: Any) -> Template:
        context.update(staff_name=ADMIN_NAME, csrf=self.session.csrf, can=lambda permission: False, admin=True)
        return Template(template_name=name, context=context, status_code=status_code, headers=SECURITY_HEADERS)


async def provide_admin_console(request: Request, runtime: Runtime) -> AdminConsole:
    """The platform admin's session, its token checked as the API checks the bearer; a partner's
    staff member is refused (403) as the API refuses their token."""
    session = await load_session(runtime, request)
    if session is None:
        raise LoginRequired
    if not session.admin:
        raise PermissionDenied("Раздел доступен только администратору платформы")
    if not is_platform_admin(runtime, session.token):
        await close_session(runtime, session)
        raise LoginRequired
    return AdminConsole(session)


def _pages(request: Request) -> Pages:
    # Bound like the API's admin lists (web/deps.provide_admin_pages): path, filters, platform admin.
    return Pages(request.app.state.runtime.cursors, list_scope(request, "platform-admin"))


def _listing(request: Request, pages: Pages, next_position, path: str) -> dict[str, Any]:
    cursor = request.query_params.get("cursor") or None
    next_cursor = pages.seal(next_position)
    return {"paged": bool(cursor), "first_url": f"{path}?{_query(request, cursor=None)}",
            "next_url": f"{path}?{_query(request, cursor=next_cursor)}" if next_cursor else None}


def _convert(data: dict[str, Any], schema: type[msgspec.Struct]) -> Any:
    """The form as the API's request schema: the same bounds and patterns (a colour is `#RRGGBB`
    or `#RRGGBBAA`, nothing else), refused in Russian."""
    try:
        return msgspec.convert(data, schema)
    except msgspec.ValidationError as exc:
        text = str(exc)
        at, missing = _AT.search(text), _MISSING.search(text)
        parts = [p for p in (at.group(1) if at else "").split(".") if p] + ([missing.group(1)] if missing else [])
        field = re.sub(r"\[\d+\]", "", ".".join(parts))
        raise InvalidInput.field(field, FIELD_ERRORS.get(field, "Проверьте заполнение формы")) from None


def _redirect(url: str) -> Response:
    return Redirect(url, status_code=303, headers=SECURITY_HEADERS)


async def _refused(db: AsyncSession, exc: DomainError) -> tuple[str, int]:
    """A refused form: nothing it flushed is kept; the page shows why."""
    await _rollback(db)
    return error_message(exc), status_of(exc)


def _text(form: dict[str, Any], name: str) -> str:
    return str(form.get(name) or "").strip()


def _optional(form: dict[str, Any], name: str) -> str | None:
    return _text(form, name) or None


# --- login ---------------------------------------------------------------------------------

@get("/login", name="console:admin-login-form")
async def admin_login_form(runtime: Runtime) -> Response:
    return _login_form(runtime, admin=True)


@post("/login", name="console:admin-login", status_code=303)
async def admin_login(request: Request, runtime: Runtime) -> Response:
    """The bootstrap token (PLATFORM_ADMIN_TOKEN) opens an admin session; it is kept in Redis like
    a staff token and checked again on every page."""
    form = await _form(request)
    token = str(form.get("token") or "")
    try:
        signed_in = len(token) <= 500 and await admin_sign_in(runtime, token, client_ip(request))
    except RateLimited as exc:
        return _login_form(runtime, status_code=429, error=str(exc.detail), admin=True)
    if not signed_in:
        return _login_form(runtime, status_code=401, error="Неверный токен администратора", admin=True)
    session = await open_session(runtime, token, admin=True)
    return Redirect(ADMIN_HOME, status_code=303, headers=SECURITY_HEADERS, cookies=[
        cookie(runtime, SESSION_COOKIE, session.session_id, max_age=runtime.settings.staff_token_ttl),
        expired_cookie(runtime, LOGIN_CSRF_COOKIE)])


# --- partners ------------------------------------------------------------------------------

@get("/partners", name="console:admin-partners")
async def partners_page(request: Request, console: AdminConsole, db: AsyncSession) -> Template:
    return await _partners_view(request, console, db)


async def _partners_view(request: Request, console: AdminConsole, db: AsyncSession, *, error: str | None = None,
                         values: dict | None = None, status_code: int = 200) -> Template:
    qp = request.query_params
    q = (qp.get("q") or "").strip()[:200]
    kind = _choice(qp.get("kind"), labels.PARTNER_KINDS)
    pages = _pages(request)
    rows, position = await service.list_partners(db, q=q or None, kind=kind,
                                                  cursor=pages.open(qp.get("cursor") or None), limit=PAGE_SIZE)
    return console.page("admin_partners.html", status_code, nav="partners", items=rows, q=q, kind=kind or "",
                        error=error, values=values or {}, **_listing(request, pages, position, ADMIN_HOME))


@post("/partners", name="console:admin-create-partner")
async def create_partner(request: Request, console: AdminConsole, db: AsyncSession) -> Response:
    form = await request.form()
    values = {"name": str(form.get("name") or "").strip(), "kind": str(form.get("kind") or ""),
              "products": form.getall("products", [])}
    try:
        data = _convert(values, CreatePartnerRequest)
        partner = await service.create_partner(db, name=data.name, kind=data.kind, products=list(data.products))
    except DomainError as exc:
        error, status = await _refused(db, exc)
        return await _partners_view(request, console, db, error=error, values=values, status_code=status)
    return _redirect(f"/console/admin/partners/{partner.id}?done=created")


@get("/partners/{partner_id:str}", name="console:admin-partner")
async def partner_page(request: Request, console: AdminConsole, db: AsyncSession, partner_id: str) -> Template:
    return await _partner_view(request, console, db, path_id(partner_id))


async def _partner_view(request: Request, console: AdminConsole, db: AsyncSession, partner_id: uuid.UUID, *,
                        error: str | None = None, status_code: int = 200) -> Template:
    partner = await service.get_partner(db, partner_id)
    brands, _ = await service.list_of(db, Brand, partner_id, cursor=None, limit=200)
    return console.page("admin_partner.html", status_code, nav="partners", tab="card", partner=partner,
                        brands=brands, error=error, done=request.query_params.get("done"))


@post("/partners/{partner_id:str}", name="console:admin-update-partner")
async def update_partner(request: Request, console: AdminConsole, db: AsyncSession, partner_id: str) -> Response:
    partner_uuid = path_id(partner_id)
    form = await request.form()
    values: dict[str, Any] = {"products": form.getall("products", [])}
    if form.get("default_brand_slug"):
        values["default_brand_slug"] = str(form.get("default_brand_slug"))
    try:
        data = _convert(values, UpdatePartnerRequest)
        await service.update_partner(db, partner_uuid, products=list(data.products),
                                     default_brand_slug=None if data.default_brand_slug is msgspec.UNSET
                                     else data.default_brand_slug)
    except DomainError as exc:
        error, status = await _refused(db, exc)
        return await _partner_view(request, console, db, partner_uuid, error=error, status_code=status)
    return _redirect(f"/console/admin/partners/{partner_uuid}?done=saved")


# --- brands --------------------------------------------------------------------------------

def _brand_values(form: dict[str, Any]) -> dict[str, Any]:
    return {"slug": _text(form, "slug"), "name": _text(form, "name"), "icon_url": _text(form, "icon_url"),
            "logo_url": _optional(form, "logo_url"), "app_url": _optional(form, "app_url"),
            "colors": {code: _text(form, f"color_{code}") for code in labels.BRAND_COLORS}}


@get("/partners/{partner_id:str}/brands", name="console:admin-brands")
async def brands_page(request: Request, console: AdminConsole, db: AsyncSession, partner_id: str) -> Template:
    return await _tab_view(request, console, db, path_id(partner_id), "brands")


async def _tab_view(request: Request, console: AdminConsole, db: AsyncSession, partner_id: uuid.UUID, tab: str, *,
                    error: str | None = None, values: dict | None = None, status_code: int = 200) -> Template:
    """A partner's brands or roles (lists without filters), oldest first, over the form adding one."""
    partner = await service.get_partner(db, partner_id)
    pages = _pages(request)
    rows, position = await service.list_of(db, UNFILTERED_TABS[tab], partner_id, cursor=pages.open(
        request.query_params.get("cursor") or None), limit=PAGE_SIZE)
    return console.page(f"admin_{tab}.html", status_code, nav="partners", tab=tab, partner=partner, items=rows,
                        error=error, values=values or {"colors": {}}, done=request.query_params.get("done"),
                        **_listing(request, pages, position, f"/console/admin/partners/{partner_id}/{tab}"))


@post("/partners/{partner_id:str}/brands", name="console:admin-create-brand")
async def create_brand(request: Request, console: AdminConsole, db: AsyncSession, partner_id: str) -> Response:
    partner_uuid = path_id(partner_id)
    values = _brand_values(await _form(request))
    try:
        data = _convert(values, CreateBrandRequest)
        await service.create_brand(db, partner_uuid, slug=data.slug, name=data.name,
                                   colors=msgspec.structs.asdict(data.colors), icon_url=data.icon_url,
                                   logo_url=data.logo_url, app_url=data.app_url)
    except DomainError as exc:
        error, status = await _refused(db, exc)
        return await _tab_view(request, console, db, partner_uuid, "brands", error=error, values=values,
                               status_code=status)
    return _redirect(f"/console/admin/partners/{partner_uuid}/brands?done=created")


@get("/partners/{partner_id:str}/brands/{brand_id:str}", name="console:admin-brand")
async def brand_page(request: Request, console: AdminConsole, db: AsyncSession, partner_id: str,
                     brand_id: str) -> Template:
    return await _brand_view(request, console, db, path_id(partner_id), path_id(brand_id))


async def _brand_view(request: Request, console: AdminConsole, db: AsyncSession, partner_id: uuid.UUID,
                      brand_id: uuid.UUID, *, error: str | None = None, values: dict | None = None,
                      status_code: int = 200) -> Template:
    partner = await service.get_partner(db, partner_id)
    brand = await service.get_brand(db, partner_id, brand_id)
    values = values or {"name": brand.name, "slug": brand.slug, "icon_url": brand.icon_url,
                        "logo_url": brand.logo_url, "app_url": brand.app_url, "colors": dict(brand.colors)}
    return console.page("admin_brand.html", status_code, nav="partners", tab="brands", partner=partner, brand=brand,
                        values=values, error=error, done=request.query_params.get("done"))


@post("/partners/{partner_id:str}/brands/{brand_id:str}", name="console:admin-update-brand")
async def update_brand(request: Request, console: AdminConsole, db: AsyncSession, partner_id: str,
                       brand_id: str) -> Response:
    partner_uuid, brand_uuid = path_id(partner_id), path_id(brand_id)
    brand = await service.get_brand(db, partner_uuid, brand_uuid)
    values = {**_brand_values(await _form(request)), "slug": brand.slug}  # the slug is the app's id: it stays
    try:
        data = _convert(values, CreateBrandRequest)
        await service.update_brand(db, partner_uuid, brand_uuid, {
            "name": data.name, "colors": msgspec.structs.asdict(data.colors), "icon_url": data.icon_url,
            "logo_url": data.logo_url, "app_url": data.app_url})
    except DomainError as exc:
        error, status = await _refused(db, exc)
        return await _brand_view(request, console, db, partner_uuid, brand_uuid, error=error, values=values,
                                 status_code=status)
    return _redirect(f"/console/admin/partners/{partner_uuid}/brands/{brand_uuid}?done=saved")


# --- roles ---------------------------------------------------------------------------------

def _role_values(form) -> dict[str, Any]:
    return {"name": str(form.get("name") or "").strip(), "permissions": form.getall("permissions", [])}


@get("/partners/{partner_id:str}/roles", name="console:admin-roles")
async def roles_page(request: Request, console: AdminConsole, db: AsyncSession, partner_id: str) -> Template:
    return await _tab_view(request, console, db, path_id(partner_id), "roles")


@post("/partners/{partner_id:str}/roles", name="console:admin-create-role")
async def create_role(request: Request, console: AdminConsole, db: AsyncSession, partner_id: str) -> Response:
    partner_uuid = path_id(partner_id)
    values = _role_values(await request.form())
    try:
        data = _convert(values, CreateRoleRequest)
        await service.create_role(db, partner_uuid, name=data.name, permissions=list(data.permissions))
    except DomainError as exc:
        error, status = await _refused(db, exc)
        return await _tab_view(request, console, db, partner_uuid, "roles", error=error, values=values,
                               status_code=status)
    return _redirect(f"/console/admin/partners/{partner_uuid}/roles?done=created")


async def _role_view(request: Request, console: AdminConsole, db: AsyncSession, partner_id: uuid.UUID,
                     role_id: uuid.UUID, *, error: str | None = None, values: dict | None = None,
                     status_code: int = 200) -> Template:
    partner = await service.get_partner(db, partner_id)
    role = await service.get_role(db, partner_id, role_id)
    values = values or {"name": role.name, "permissions": list(role.permissions)}
    return console.page("admin_role.html", status_code, nav="partners", tab="roles", partner=partner, role=role,
                        values=values, error=error, done=request.query_params.get("done"))


@get("/partners/{partner_id:str}/roles/{role_id:str}", name="console:admin-role")
async def role_page(request: Request, console: AdminConsole, db: AsyncSession, partner_id: str,
                    role_id: str) -> Template:
    return await _role_view(request, console, db, path_id(partner_id), path_id(role_id))


@post("/partners/{partner_id:str}/roles/{role_id:str}", name="console:admin-update-role")
async def update_role(request: Request, console: AdminConsole, db: AsyncSession, partner_id: str,
                      role_id: str) -> Response:
    """The new permissions count from the next page of every staff member with the role."""
    partner_uuid, role_uuid = path_id(partner_id), path_id(role_id)
    values = _role_values(await request.form())
    try:
        data = _convert(values, UpdateRoleRequest)
        await service.update_role(db, partner_uuid, role_uuid, changes_of(data))
    except DomainError as exc:
        error, status = await _refused(db, exc)
        return await _role_view(request, console, db, partner_uuid, role_uuid, error=error, values=values,
                                status_code=status)
    return _redirect(f"/console/admin/partners/{partner_uuid}/roles/{role_uuid}?done=saved")


# --- staff ---------------------------------------------------------------------------------

@get("/partners/{partner_id:str}/staff", name="console:admin-staff")
async def staff_page(request: Request, console: AdminConsole, db: AsyncSession, partner_id: str) -> Template:
    return await _staff_view(request, console, db, path_id(partner_id))


async def _staff_view(request: Request, console: AdminConsole, db: AsyncSession, partner_id: uuid.UUID, *,
                      error: str | None = None, values: dict | None = None, status_code: int = 200) -> Template:
    qp = request.query_params
    partner = await service.get_partner(db, partner_id)
    q = (qp.get("q") or "").strip()[:200]
    state = _choice(qp.get("state"), labels.STAFF_STATES)
    pages = _pages(request)
    rows, position = await service.list_staff(db, partner_id, q=q or None,
                                              active=None if state is None else state == "active",
                                              cursor=pages.open(qp.get("cursor") or None), limit=PAGE_SIZE)
    roles, _ = await service.list_of(db, Role, partner_id, cursor=None, limit=200)
    return console.page("admin_staff.html", status_code, nav="partners", tab="staff", partner=partner, items=rows,
                        roles=roles, role_names={r.id: r.name for r in roles}, q=q, state=state or "",
                        error=error, values=values or {}, done=qp.get("done"),
                        **_listing(request, pages, position, f"/console/admin/partners/{partner_id}/staff"))


@post("/partners/{partner_id:str}/staff", name="console:admin-create-staff")
async def create_staff(request: Request, console: AdminConsole, db: AsyncSession, partner_id: str) -> Response:
    partner_uuid = path_id(partner_id)
    form = await _form(request)
    values = {"email": _text(form, "email"), "name": _text(form, "name"), "role_id": _text(form, "role_id"),
              "password": str(form.get("password") or "")}
    try:
        data = _convert(values, CreateStaffRequest)
        await service.create_staff(db, partner_uuid, email=data.email, password=data.password, name=data.name,
                                   role_id=changes_of(data, ids=("role_id",))["role_id"])
    except DomainError as exc:
        error, status = await _refused(db, exc)
        values.pop("password")  # never sent back into the page
        return await _staff_view(request, console, db, partner_uuid, error=error, values=values, status_code=status)
    return _redirect(f"/console/admin/partners/{partner_uuid}/staff?done=created")


@post("/partners/{partner_id:str}/staff/{staff_id:str}", name="console:admin-update-staff")
async def update_staff(request: Request, console: AdminConsole, db: AsyncSession, partner_id: str,
                       staff_id: str) -> Response:
    """A new role or (de)activation, as `PATCH /crm/v1/partners/{id}/staff/{id}`: deactivation ends
    the staff member's sessions at once."""
    partner_uuid, staff_uuid = path_id(partner_id), path_id(staff_id)
    form = await _form(request)
    values: dict[str, Any] = {}
    if form.get("role_id"):
        values["role_id"] = _text(form, "role_id")
    if form.get("active") in ("true", "false"):
        values["active"] = form["active"] == "true"
    try:
        if not values:
            raise InvalidInput("Выберите роль или действие")
        data = _convert(values, UpdateStaffRequest)
        await service.update_staff(db, partner_uuid, staff_uuid, changes_of(data, ids=("role_id",)))
    except DomainError as exc:
        error, status = await _refused(db, exc)
        return await _staff_view(request, console, db, partner_uuid, error=error, status_code=status)
    done = "role" if "role_id" in values else "activated" if values["active"] else "deactivated"
    return _redirect(f"/console/admin/partners/{partner_uuid}/staff?done={done}")


# --- API keys ------------------------------------------------------------------------------

@get("/partners/{partner_id:str}/api-keys", name="console:admin-api-keys")
async def api_keys_page(request: Request, console: AdminConsole, db: AsyncSession, runtime: Runtime,
                        partner_id: str) -> Template:
    partner_uuid = path_id(partner_id)
    created = await take_flash(runtime, console.session)  # shown on this page once, never again
    new_key = json.loads(created) if created else None
    if new_key and new_key["partner_id"] != str(partner_uuid):
        new_key = None
    return await _api_keys_view(request, console, db, partner_uuid, new_key=new_key)


async def _api_keys_view(request: Request, console: AdminConsole, db: AsyncSession, partner_id: uuid.UUID, *,
                         new_key: dict | None = None, error: str | None = None, values: dict | None = None,
                         status_code: int = 200) -> Template:
    qp = request.query_params
    partner = await service.get_partner(db, partner_id)
    state = _choice(qp.get("state"), labels.KEY_STATES)
    pages = _pages(request)
    rows, position = await service.list_api_keys(db, partner_id, revoked=None if state is None else state == "revoked",
                                                 cursor=pages.open(qp.get("cursor") or None), limit=PAGE_SIZE)
    return console.page("admin_api_keys.html", status_code, nav="partners", tab="api-keys", partner=partner,
                        items=rows, state=state or "", new_key=new_key, error=error, values=values or {},
                        done=qp.get("done"),
                        **_listing(request, pages, position, f"/console/admin/partners/{partner_id}/api-keys"))


@post("/partners/{partner_id:str}/api-keys", name="console:admin-create-api-key")
async def create_api_key(request: Request, console: AdminConsole, db: AsyncSession, runtime: Runtime,
                         partner_id: str) -> Response:
    """The key goes to the page after the redirect, once: only its hash is stored, and a reload
    of that page no longer shows it."""
    partner_uuid = path_id(partner_id)
    values = {"name": _text(await _form(request), "name")}
    try:
        data = _convert(values, CreateApiKeyRequest)
        key, plain = await service.create_api_key(db, partner_uuid, name=data.name)
    except DomainError as exc:
        error, status = await _refused(db, exc)
        return await _api_keys_view(request, console, db, partner_uuid, error=error, values=values,
                                    status_code=status)
    await flash(runtime, console.session, json.dumps({"partner_id": str(partner_uuid), "id": str(key.id),
                                                      "name": key.name, "key": plain}))
    return _redirect(f"/console/admin/partners/{partner_uuid}/api-keys")


@post("/partners/{partner_id:str}/api-keys/{key_id:str}/revoke", name="console:admin-revoke-api-key")
async def revoke_api_key(console: AdminConsole, db: AsyncSession, runtime: Runtime, partner_id: str,
                         key_id: str) -> Response:
    """As `DELETE /crm/v1/partners/{id}/api-keys/{id}`: the key is refused from the next request on."""
    partner_uuid = path_id(partner_id)
    await service.revoke_api_key(runtime, db, partner_uuid, path_id(key_id))
    return _redirect(f"/console/admin/partners/{partner_uuid}/api-keys?done=revoked")


router = Router(
    path="/console/admin",
    route_handlers=[admin_login_form, admin_login, partners_page, create_partner, partner_page, update_partner,
                    brands_page, create_brand, brand_page, update_brand, roles_page, create_role, role_page,
                    update_role, staff_page, create_staff, update_staff, api_keys_page, create_api_key,
                    revoke_api_key],
    dependencies={"console": Provide(provide_admin_console)},
    before_request=check_csrf,
    exception_handlers=EXCEPTION_HANDLERS,
    include_in_schema=False,
)
