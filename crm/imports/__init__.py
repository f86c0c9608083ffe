"""Import and export endpoints (IMPORT-01..08) and the staff merge of two client cards (CRM-CLI-03)."""
