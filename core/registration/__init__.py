"""Registration requests from the app and unidentified showcase leads (STAFF-05)."""
