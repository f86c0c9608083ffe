"""The resident app's routes (`/app/v1`), registered by the server (server/routes.py)."""

from __future__ import annotations

from bff.auth.controller import AppAuthController
from bff.devices.controller import DeviceController
from bff.notifications.controller import InboxController
from bff.objects.controller import ObjectCatalogueController
from bff.orders.controller import AppOrderController
from bff.people.controller import PeopleController
from bff.premise_requests.controller import PremiseRequestController
from bff.screens.header.controller import HeaderController
from bff.screens.my_data.controller import MyDataController
from bff.screens.my_orders.controller import MyOrdersController
from bff.screens.my_premises.controller import MyPremisesController
from bff.screens.premise.controller import (
          PremiseDocumentController,
          PremiseScreenController,
)
from bff.screens.profile.controller import ProfileController
from bff.screens.purchases.controller import PurchasesController
from bff.session.controller import SessionController

ROUTES = [AppAuthController, SessionController, DeviceController, HeaderController, MyPremisesController,
          ProfileController, PremiseScreenController, PremiseDocumentController, MyOrdersController,
          PurchasesController, MyDataController, AppOrderController, InboxController, PremiseRequestController,
          ObjectCatalogueController, PeopleController]
