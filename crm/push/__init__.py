"""Staff endpoints of pushes and mailings (PUSH-03, PUSH-06..08)."""
