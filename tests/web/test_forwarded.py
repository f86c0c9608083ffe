"""The client's address behind proxies (web/forwarded.py): X-Forwarded-For is believed from
TRUSTED_PROXIES only, read from the right, and every per-IP limit and audit record uses the
address found. The test client connects from 127.0.0.1."""

from __future__ import annotations

import pytest

from core.errors import ConfigurationError
from core.infra.settings import load_settings
from tests.support import ADMIN, create_partner, expect, staff_headers
from web.forwarded import client_address, trusted_networks

PROXIES = trusted_networks(("10.0.0.0/8", "127.0.0.1", "2001:db8::/32"))


@pytest.mark.no_db
@pytest.mark.parametrize(("peer", "forwarded", "expected"), [
    # Not from a trusted proxy: the header is whatever the caller wrote.
    ("203.0.113.5", ["198.51.100.1"], "203.0.113.5"),
    # From a trusted proxy: the entry it appended.
    ("10.1.2.3", ["198.51.100.1"], "198.51.100.1"),
    # A caller's forged entries stay on the left, never reached.
    ("10.1.2.3", ["6.6.6.6, 198.51.100.1"], "198.51.100.1"),
    ("10.1.2.3", ["6.6.6.6", "198.51.100.1"], "198.51.100.1"),
    # Trusted hops are skipped, from the right.
    ("127.0.0.1", ["6.6.6.6, 198.51.100.1, 10.9.9.9"], "198.51.100.1"),
    # Ports, brackets, IPv6, IPv4 mapped into IPv6.
    ("10.1.2.3", ["198.51.100.1:51234"], "198.51.100.1"),
    ("10.1.2.3", ["[2001:dead::1]:443"], "2001:dead::1"),
    ("2001:db8::7", ["2001:dead::1"], "2001:dead::1"),
    ("10.1.2.3", ["::ffff:198.51.100.1"], "198.51.100.1"),
    # No header, an empty one: the proxy itself.
    ("10.1.2.3", [], "10.1.2.3"),
    ("10.1.2.3", [" , "], "10.1.2.3"),
    # A hop no proxy writes ends the chain at the last trusted one.
    ("10.1.2.3", ["198.51.100.1, unknown"], "10.1.2.3"),
    ("10.1.2.3", ["garbage, 10.2.2.2"], "10.2.2.2"),
    # Every hop trusted: the leftmost.
    ("10.1.2.3", ["10.5.5.5, 10.6.6.6"], "10.5.5.5"),
])
def test_the_client_is_found_from_the_right_through_trusted_hops(peer, forwarded, expected):
    assert client_address(peer, forwarded, PROXIES) == expected


@pytest.mark.no_db
def test_without_trusted_proxies_no_header_is_believed():
    assert client_address("10.1.2.3", ["198.51.100.1"], ()) == "10.1.2.3"


@pytest.mark.no_db
def test_trusted_proxies_come_from_the_environment(tmp_path):
    settings = load_settings({"TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.7,2001:db8::/32", "VAR_DIR": str(tmp_path)})
    assert settings.trusted_proxies == ("10.0.0.0/8", "192.168.1.7", "2001:db8::/32")
    with pytest.raises(ConfigurationError, match="TRUSTED_PROXIES"):
        load_settings({"TRUSTED_PROXIES": "10.0.0.0/8,proxy.local", "VAR_DIR": str(tmp_path)})


async def _otp(http, phone: str, forwarded: str | None = None):
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return await http.post("/app/v1/auth/otp", json={"phone": phone}, headers=headers)


async def test_a_forged_forwarded_for_changes_nothing_without_trusted_proxies(http, limits):
    limits(otp_per_ip_hour=2)
    expect(await _otp(http, "+79161230001", "198.51.100.1"), 200)
    expect(await _otp(http, "+79161230002", "198.51.100.2"), 200)
    refused = await _otp(http, "+79161230003", "198.51.100.3")
    assert refused.status_code == 429 and refused.json()["code"] == "otp_ip_limited"


async def test_clients_behind_a_trusted_proxy_get_limits_of_their_own(http, limits):
    limits(otp_per_ip_hour=2, trusted_proxies=("127.0.0.1",))
    expect(await _otp(http, "+79161230001", "198.51.100.1"), 200)
    expect(await _otp(http, "+79161230002", "198.51.100.1"), 200)
    refused = await _otp(http, "+79161230003", "198.51.100.1")
    assert refused.status_code == 429 and refused.json()["code"] == "otp_ip_limited"
    # Another resident behind the same balancer is not refused for the first one's requests.
    expect(await _otp(http, "+79161230004", "198.51.100.2"), 200)


async def test_a_forged_leftmost_entry_behind_a_trusted_proxy_is_not_believed(http, limits):
    limits(otp_per_ip_hour=2, trusted_proxies=("127.0.0.1",))
    expect(await _otp(http, "+79161230001", "6.6.6.1, 198.51.100.1"), 200)
    expect(await _otp(http, "+79161230002", "6.6.6.2, 198.51.100.1"), 200)
    refused = await _otp(http, "+79161230003", "6.6.6.3, 198.51.100.1")
    assert refused.status_code == 429 and refused.json()["code"] == "otp_ip_limited"


async def test_audit_records_the_client_address_found_through_the_proxies(http, limits):
    from tests.crm.estate import make_client

    limits(trusted_proxies=("127.0.0.1",))
    partner = await create_partner(http)
    staff = await staff_headers(http, partner)
    client = await make_client(http, staff)
    expect(await http.get(f"/crm/v1/clients/{client}", headers={**staff, "X-Forwarded-For": "6.6.6.6, 203.0.113.7"}),
           200)
    listed = expect(await http.get("/crm/v1/audit", headers=ADMIN, params={"partner_id": partner,
                                                                          "action": "pii.read"}), 200)
    assert listed["items"][0]["ip"] == "203.0.113.7"
