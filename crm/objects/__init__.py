"""Objects (ЖК/buildings), object groups and quarters in the CRM."""
