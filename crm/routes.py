"""The CRM and integration routes (`/crm/v1`), registered by the server (server/routes.py)."""

from __future__ import annotations

from crm.activity.controller import ActivityController
from crm.admin.controller import AuditController, PlatformAdminController
from crm.auth.controller import StaffAuthController, WhoAmIController
from crm.clients.controller import ClientController
from crm.documents.controller import DocumentController
from crm.feeds.controller import FeedController
from crm.imports.controller import ExcelController, ImportController
from crm.objects.controller import ObjectController
from crm.orders.controller import OrderController
from crm.premises.controller import PremiseController
from crm.push.controller import PushCrmController
from crm.registration.controller import RegistrationController

ROUTES = [PlatformAdminController, AuditController, StaffAuthController, WhoAmIController, ObjectController,
          PremiseController, ClientController, ImportController, ExcelController, FeedController, OrderController,
          ActivityController, DocumentController, PushCrmController, RegistrationController]
