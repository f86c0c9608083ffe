"""The infrastructure the domain areas use: settings, the database and Redis, the clock, object
storage, SMS, metrics and the process runtime that holds them. It imports no domain area."""
