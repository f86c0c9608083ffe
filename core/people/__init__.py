"""The People area (SPEC section 6): its rules, read queries, writes and rent reminders."""
