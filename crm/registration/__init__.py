"""Registration requests from the app and showcase leads in the CRM (STAFF-05)."""
