"""A resident's request to add a premise from the app (STAFF-05, listed in My Premises)."""
