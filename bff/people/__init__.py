"""The People screens, person cards and the adding and managing of people on premises (SPEC section 6)."""
