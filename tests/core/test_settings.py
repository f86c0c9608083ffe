"""Configuration: production refuses what must never run there."""

from __future__ import annotations

import pytest

from core.errors import ConfigurationError
from core.infra.redis_scripts import is_cluster
from core.infra.runtime import connect_redis
from core.infra.settings import load_settings
from core.infra.sms import make_sms_provider

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


def test_redis_behind_sentinels_needs_no_redis_host():
    settings = load_settings({**PRODUCTION, "REDIS_URL": "", "REDIS_SENTINELS": " s1:26379, s2:26379 ,s3:26379",
                              "REDIS_SENTINEL_MASTER": "cache"})
    assert settings.redis_sentinels == ("s1:26379", "s2:26379", "s3:26379")
    assert settings.redis_sentinel_master == "cache"


@pytest.mark.parametrize("environ, nodes", [
    ({"REDIS_URL": "redis://:secret@cache-a:7000/0?cluster=true"}, [("cache-a", 7000)]),
    ({"REDIS_URL": "redis://:secret@/0", "REDIS_CLUSTER_NODES": "cache-a:7000, cache-b:7001"},
     [("cache-a", 7000), ("cache-b", 7001)]),
])
def test_a_redis_cluster_is_named_by_the_url_or_its_nodes(environ, nodes):
    settings = load_settings({**PRODUCTION, **environ})
    client = connect_redis(settings)
    assert settings.redis_cluster and is_cluster(client)
    assert [(node.host, node.port) for node in client.nodes_manager.startup_nodes.values()] == nodes
    assert client.get_connection_kwargs()["password"] == "secret"
    assert not load_settings(PRODUCTION).redis_cluster
    assert not is_cluster(connect_redis(load_settings(PRODUCTION)))


@pytest.mark.parametrize("environ, complaint", [
    ({"REDIS_URL": "redis://cache:7000/2?cluster=true"}, "database 0 only"),
    ({"REDIS_URL": "redis://:secret@/3", "REDIS_CLUSTER_NODES": "cache-a:7000"}, "database 0 only"),
    ({"REDIS_URL": "", "REDIS_CLUSTER_NODES": "cache-a:7000,cache-b"}, "'cache-b' is not host:port"),
    ({"REDIS_URL": "redis:///0?cluster=true"}, "needs a host"),
    ({"REDIS_CLUSTER_NODES": "cache-a:7000", "REDIS_SENTINELS": "s1:26379"}, "exclude each other"),
])
def test_a_redis_cluster_configuration_that_cannot_work_is_refused(environ, complaint):
    for env in (PRODUCTION, {"APP_ENV": "development", **REAL_DATABASE}):
        with pytest.raises(ConfigurationError, match=complaint):
            load_settings({**env, **environ})


@pytest.mark.parametrize("change, complaint", [
    ({"SMS_PROVIDER": "debug"}, "SMS_PROVIDER=debug"),
    ({"TOKEN_SECRET": ""}, "TOKEN_SECRET"),
    ({"TOKEN_SECRET": "short"}, "TOKEN_SECRET"),
    ({"TOKEN_SECRET": "a" * 64}, "TOKEN_SECRET"),
    ({"PLATFORM_ADMIN_TOKEN": ""}, "PLATFORM_ADMIN_TOKEN"),
    ({"DATABASE_URL": ""}, "embedded PostgreSQL"),
    ({"REDIS_URL": ""}, "embedded Redis"),
    ({"SMS_WEBHOOK_URL": ""}, "SMS_WEBHOOK_URL"),
    ({"REDIS_SENTINELS": "sentinel-a:26379,sentinel-b"}, "'sentinel-b' is not host:port"),
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
    assert first.runs_worker_in_process and first.sms_provider_name == "debug"


REAL_DATABASE = {"DATABASE_URL": "postgresql://app@db/app", "REDIS_URL": "redis://cache:6379/0"}


@pytest.mark.parametrize("environ, provider", [
    ({}, "debug"),  # the embedded database: `make run` on a developer's machine
    (REAL_DATABASE, "disabled"),  # APP_ENV forgotten on a deploy: nobody gets codes handed out
    ({**REAL_DATABASE, "APP_ENV": "development"}, "debug"),
    ({**REAL_DATABASE, "APP_ENV": "test"}, "debug"),
    ({**REAL_DATABASE, "SMS_PROVIDER": "webhook", "SMS_WEBHOOK_URL": "https://sms.example.com/send"}, "webhook"),
])
def test_debug_sms_is_the_default_only_where_the_environment_was_chosen(tmp_path, environ, provider):
    settings = load_settings({"VAR_DIR": str(tmp_path), **environ})
    assert settings.sms_provider_name == provider
    assert make_sms_provider(settings).reveals_codes is (provider == "debug")


def test_debug_sms_asked_for_without_an_environment_refuses_to_start(tmp_path):
    with pytest.raises(ConfigurationError, match="SMS_PROVIDER=debug"):
        load_settings({"VAR_DIR": str(tmp_path), **REAL_DATABASE, "SMS_PROVIDER": "debug"})


def test_debug_sms_is_announced_loudly_at_start_up(tmp_path, caplog):
    make_sms_provider(load_settings({"VAR_DIR": str(tmp_path), **REAL_DATABASE, "APP_ENV": "development"}))
    warnings = [r for r in caplog.records if r.levelname == "WARNING" and "debug_code" in r.getMessage()]
    assert len(warnings) == 1 and "anyone can log in as anyone" in warnings[0].getMessage()


def test_invalid_values_are_reported():
    with pytest.raises(ConfigurationError, match="invalid configuration"):
        load_settings({"APP_ENV": "staging"})
    with pytest.raises(ConfigurationError, match="channel_binding"):
        load_settings({"DATABASE_URL": "postgresql://app@db/app?channel_binding=require"})
    with pytest.raises(ConfigurationError):
        load_settings({"ACCESS_TOKEN_TTL": "soon"})


def test_cli_refuses_to_start_in_production_with_debug_sms(monkeypatch, capsys):
    from server.cli import main

    for name, value in {**PRODUCTION, "SMS_PROVIDER": "debug"}.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as exit_info:
        main(["migrate"])
    assert exit_info.value.code == 2
    assert "SMS_PROVIDER=debug" in capsys.readouterr().err


def test_production_takes_local_disk_only_when_named_on_purpose():
    """A shared mount named by STORAGE_URL=file:///… is a choice; the default ./var/files is not."""
    from core.infra.storage import LocalStorage, S3Storage, storage_from

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


def test_abuse_limits_come_from_the_environment(tmp_path):
    defaults = load_settings({"VAR_DIR": str(tmp_path)})
    assert (defaults.login_per_ip_hour, defaults.staff_login_per_ip_hour, defaults.sms_per_hour,
            defaults.sms_countries) == (100, 50, 1000, ("RU", "BY", "KZ"))
    settings = load_settings({"VAR_DIR": str(tmp_path), "LOGIN_PER_IP_HOUR": "0", "STAFF_LOGIN_PER_IP_HOUR": "7",
                              "SMS_PER_HOUR": "250", "SMS_COUNTRIES": "ru, kz", "LOGIN_PER_PHONE_HOUR": "0"})
    assert (settings.login_per_ip_hour, settings.staff_login_per_ip_hour, settings.sms_per_hour,
            settings.sms_countries, settings.login_per_phone_hour) == (0, 7, 250, ("RU", "KZ"), 0)
    assert load_settings({"VAR_DIR": str(tmp_path), "SMS_COUNTRIES": "*"}).sms_countries == ("*",)
