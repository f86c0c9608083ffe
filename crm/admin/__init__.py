"""Platform admin endpoints: partners, brands, roles, staff and API keys, and the audit log."""
