"""Configuration: production refuses what must never run there."""

from __future__ import annotations

import pytest

from core.errors import ConfigurationError
from core.settings import load_settings

STRONG = "k8Jf2LmQ9xTzR4vW7nB1cY6pA3sD5gH0"
PRODUCTION = {
    "APP_ENV": "production", "SMS_PROVIDER": "webhook", "SMS_WEBHOOK_URL": "https://sms.example.com/send",
    "TOKEN_SECRET": STRONG, "PLATFORM_ADMIN_TOKEN": STRONG[::-1],
    "DATABASE_URL": "postgresql://app@db/app", "REDIS_URL": "redis://cache:6379/0",
}


def test_production_configuration_that_is_complete_starts():
    settings = load_settings(PRODUCTION)
    assert settings.is_production and not settings.runs_worker_in_process


@pytest.mark.parametrize("change, complaint", [
    ({"SMS_PROVIDER": "debug"}, "SMS_PROVIDER=debug"),
    ({"TOKEN_SECRET": ""}, "TOKEN_SECRET"),
    ({"TOKEN_SECRET": "short"}, "TOKEN_SECRET"),
    ({"TOKEN_SECRET": "a" * 64}, "TOKEN_SECRET"),
    ({"PLATFORM_ADMIN_TOKEN": ""}, "PLATFORM_ADMIN_TOKEN"),
    ({"DATABASE_URL": ""}, "embedded PostgreSQL"),
    ({"REDIS_URL": ""}, "embedded Redis"),
    ({"SMS_WEBHOOK_URL": ""}, "SMS_WEBHOOK_URL"),
])
def test_production_refuses(change, complaint):
    with pytest.raises(ConfigurationError, match=complaint):
        load_settings({**PRODUCTION, **change})


def test_development_generates_and_keeps_a_token_secret(tmp_path):
    first = load_settings({"VAR_DIR": str(tmp_path)})
    second = load_settings({"VAR_DIR": str(tmp_path)})
    assert len(first.token_secret) >= 32 and first.token_secret == second.token_secret
    assert len(first.platform_admin_token) >= 32 and first.platform_admin_token == second.platform_admin_token
    assert first.runs_worker_in_process and first.sms_provider == "debug"


def test_invalid_values_are_reported():
    with pytest.raises(ConfigurationError, match="invalid configuration"):
        load_settings({"APP_ENV": "staging"})
    with pytest.raises(ConfigurationError):
        load_settings({"ACCESS_TOKEN_TTL": "soon"})


def test_cli_refuses_to_start_in_production_with_debug_sms(monkeypatch, capsys):
    from web.cli import main

    for name, value in {**PRODUCTION, "SMS_PROVIDER": "debug"}.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as exit_info:
        main(["migrate"])
    assert exit_info.value.code == 2
    assert "SMS_PROVIDER=debug" in capsys.readouterr().err


def test_abuse_limits_come_from_the_environment(tmp_path):
    defaults = load_settings({"VAR_DIR": str(tmp_path)})
    assert (defaults.login_per_ip_hour, defaults.staff_login_per_ip_hour, defaults.sms_per_hour,
            defaults.sms_countries) == (100, 50, 1000, ("RU", "BY", "KZ"))
    settings = load_settings({"VAR_DIR": str(tmp_path), "LOGIN_PER_IP_HOUR": "0", "STAFF_LOGIN_PER_IP_HOUR": "7",
                              "SMS_PER_HOUR": "250", "SMS_COUNTRIES": "ru, kz", "LOGIN_PER_PHONE_HOUR": "0"})
    assert (settings.login_per_ip_hour, settings.staff_login_per_ip_hour, settings.sms_per_hour,
            settings.sms_countries, settings.login_per_phone_hour) == (0, 7, 250, ("RU", "KZ"), 0)
    assert load_settings({"VAR_DIR": str(tmp_path), "SMS_COUNTRIES": "*"}).sms_countries == ("*",)
