"""The My Orders screen (APP-ORD-01..03): its route, its one SQL statement and its answer."""
