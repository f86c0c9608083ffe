"""Staff login and the signed-in staff member's own view."""
