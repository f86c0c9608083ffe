"""Activity tabs of the CRM's premise and client cards (CRM-ACT-01)."""
