"""The object catalogue a premise request picks its object from (STAFF-05)."""
