"""The resident app's screens, one package each: a route, one SQL statement and the answer it assembles."""
