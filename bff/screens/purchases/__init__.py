"""The Purchases screen (APP-PURCH-01): its route, its one SQL statement and its answer."""
