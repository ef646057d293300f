"""Which IP addresses the app may call: public ones only (the address rules of `connectors.egress`).

Pure functions of an address: no name is resolved and nothing is connected here. An address that
embeds an IPv4 address (IPv4-mapped, NAT64, 6to4) is judged by the address inside.
"""

import ipaddress

NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # the well-known prefix: the IPv4 address is its last 32 bits
NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")  # local use: any embedding, on the operator's network
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # deprecated; `::` and `::1` are caught as such anyway


def address_problem(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Say why the policy refuses to connect to `address`, or return None when it is public."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return "a scoped IPv6 address"
        if address.ipv4_mapped is not None:
            return _embedding_problem("an IPv4-mapped", address.ipv4_mapped)
        if address in NAT64:
            return _embedding_problem("a NAT64", ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        if address.sixtofour is not None:
            return _embedding_problem("a 6to4", address.sixtofour)
        if address.teredo is not None:
            return "a Teredo address"
        if address in NAT64_LOCAL:
            return "a local-use NAT64 address"
        if address in IPV4_COMPATIBLE and int(address) > 1:
            return "an IPv4-compatible IPv6 address"
        if address.is_site_local:
            return "a site-local address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_unspecified:
        return "the unspecified address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_private:
        return "a private address"
    if address.is_reserved or not address.is_global:
        return "a reserved or special-purpose address"
    return None


def _embedding_problem(kind: str, embedded: ipaddress.IPv4Address) -> str | None:
    problem = address_problem(embedded)
    return f"{kind} address embedding {problem}" if problem else None
