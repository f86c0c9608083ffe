"""The My Premises screen (APP-PREM-01/03/05): its route, its one SQL statement and its answer."""
