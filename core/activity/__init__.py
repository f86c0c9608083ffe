"""Activity feeds of premises and clients (CRM-ACT-01)."""
