"""Brands in the resident app: the SQL context every screen starts from and the brand views (APP-PREM-03)."""
