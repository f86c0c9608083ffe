"""Resident login by SMS code: the OTP request, login with a device, token refresh and logout (PUSH-01)."""
