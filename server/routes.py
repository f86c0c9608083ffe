"""Every route of the application: each surface's own list, and the operators' health and metrics."""

from __future__ import annotations

from web.health import HealthController
from web.metrics import MetricsController


def route_handlers() -> list:
    """Imported when the application is built, so that importing the server costs no surface."""
    from bff.routes import ROUTES as APP
    from console.routes import ROUTES as CONSOLE
    from crm.routes import ROUTES as CRM

    return [HealthController, MetricsController, *APP, *CRM, *CONSOLE]
