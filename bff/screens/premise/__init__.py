"""The My Premise screen (APP-PREM-06): its routes, its one SQL statement and its answer."""
