"""Push delivery through FCM, device sessions, opt-outs."""
