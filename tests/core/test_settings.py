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
    "STORAGE_URL": "s3://resident-files/prod",
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
    ({"STORAGE_URL": ""}, "STORAGE_URL is unset"),
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
    with pytest.raises(ConfigurationError, match="channel_binding"):
        load_settings({"DATABASE_URL": "postgresql://app@db/app?channel_binding=require"})
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


def test_production_takes_local_disk_only_when_named_on_purpose():
    """A shared mount named by STORAGE_URL=file:///… is a choice; the default ./var/files is not."""
    from core.storage import LocalStorage, S3Storage, storage_from

    settings = load_settings({**PRODUCTION, "STORAGE_URL": "file:///srv/shared-files"})
    storage = storage_from(settings)
    assert isinstance(storage, LocalStorage) and str(storage.root) == "/srv/shared-files"
    s3 = storage_from(load_settings({**PRODUCTION, "S3_ENDPOINT_URL": "http://127.0.0.1:9000"}))
    assert isinstance(s3, S3Storage) and (s3.bucket, s3.prefix) == ("resident-files", "prod")


@pytest.mark.parametrize("url, complaint", [
    ("ftp://files.example.com/x", "file:///path or s3://bucket/prefix"),
    ("s3:///prefix-without-bucket", "needs a bucket"),
    ("file://relative/path", "absolute path"),
])
def test_storage_url_that_names_no_storage_is_refused(url, complaint):
    with pytest.raises(ConfigurationError, match=complaint):
        load_settings({"STORAGE_URL": url})
