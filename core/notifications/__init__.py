"""Notifications as domain: the inbox, the push outbox and rules, devices, mailings, the monitor and the
push history (PUSH-02..08)."""
