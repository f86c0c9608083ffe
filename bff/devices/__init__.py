"""The resident app's device endpoint (PUSH-02)."""
