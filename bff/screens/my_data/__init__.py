"""The My Data screen (APP-DATA-01): its routes, its one SQL statement and its answer."""
