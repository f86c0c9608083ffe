"""Premises in the CRM (CRM-PREM-01..03, CRM-LINK-01): premises, their client links and personal accounts."""
