"""Partners, brands, roles, staff and API keys, and how staff and API keys authenticate."""
