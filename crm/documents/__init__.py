"""Documents of a premise in the CRM (CRM-DOC-01)."""
