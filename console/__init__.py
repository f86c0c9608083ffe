"""The staff console: the CRM as web pages for a partner's staff, served under `/console/`."""
