"""Resident authentication: one-time SMS codes, device sessions, refresh tokens and their upkeep."""
