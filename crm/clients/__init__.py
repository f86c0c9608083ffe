"""Client card endpoints of the CRM (CRM-CLI-01..04, STAFF-02/03)."""
