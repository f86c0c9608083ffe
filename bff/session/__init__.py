"""Switching the session's current premise and brand (APP-PREM-02/03)."""
