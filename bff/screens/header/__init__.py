"""The header line of Main / Home / Services (APP-PREM-04): its route, its one SQL statement and its answer."""
