"""The partners' staff and integration API."""
