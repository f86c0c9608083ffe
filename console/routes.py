"""The staff console's routes (`/console`), registered by the server (server/routes.py)."""

from __future__ import annotations

from console.admin import router as admin_router
from console.controller import STATIC, router

ROUTES = [admin_router, router, STATIC]
