"""The client's address: the connection's peer, or what the proxies named by TRUSTED_PROXIES wrote
into X-Forwarded-For, read from the right (README: Configuration)."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from litestar.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@lru_cache(maxsize=8)
def trusted_networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    """TRUSTED_PROXIES entries (addresses or networks) as networks; raises ValueError on a bad one."""
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def parse_address(text: str) -> Address | None:
    """An address as proxies write it: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`, `[2001:db8::1]:443`."""
    text = text.strip().strip('"')
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    # An IPv4 client reaching an IPv6 socket shows as ::ffff:a.b.c.d.
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def _trusted(address: Address, networks: tuple[Network, ...]) -> bool:
    return any(address.version == network.version and address in network for network in networks)


def client_address(peer: str | None, forwarded_for: list[str], networks: tuple[Network, ...]) -> str | None:
    """The client's address, given the connection's peer, the X-Forwarded-For header values (in
    order) and the trusted proxies' networks."""
    if peer is None or not networks:
        return peer
    current = parse_address(peer)
    if current is None or not _trusted(current, networks):
        return peer
    hops = [hop for value in forwarded_for for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops):
        address = parse_address(hop)
        if address is None:
            # No proxy of ours writes that: the chain of hops we can believe ends here.
            break
        current = address
        if not _trusted(address, networks):
            break
    return str(current)


def forwarded_client_middleware(app: ASGIApp) -> ASGIApp:
    """Rewrites the scope's client to the address found through the trusted proxies (read from the
    runtime's settings, so that they follow a settings change)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and scope.get("client"):
            runtime = getattr(scope["app"].state, "runtime", None)
            proxies = runtime.settings.trusted_proxies if runtime is not None else ()
            if proxies:
                peer = scope["client"][0]
                forwarded = [value.decode("latin-1") for name, value in scope.get("headers", ())
                             if name == b"x-forwarded-for"]
                client = client_address(peer, forwarded, trusted_networks(proxies))
                if client != peer:
                    scope["client"] = (client, 0)
        await app(scope, receive, send)

    return middleware
