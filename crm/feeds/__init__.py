"""Data feed endpoints for the partner's other products: bills, notifications, insurance, meters and lots."""
