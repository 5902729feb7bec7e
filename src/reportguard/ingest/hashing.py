"""Keyed hashing of network identifiers, so raw IPs and device ids are never stored.

A keyed hash (HMAC-SHA256) still lets detection see that two reporters share an address, while a
leaked database does not reveal the address: without the key, the hash cannot be reversed by
enumerating the IPv4 space.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress


class IdentifierHasher:
    """HMAC-SHA256 over a normalised identifier, truncated to 128 bits (32 hex characters).

    >>> h = IdentifierHasher(b"k" * 32)
    >>> h.ip("203.0.113.9") == h.ip("203.0.113.009".replace("009", "9"))
    True
    >>> h.ip("::ffff:203.0.113.9") == h.ip("203.0.113.9")
    True
    >>> len(h.device("a1f3"))
    32
    """

    def __init__(self, key: bytes) -> None:
        self.key = key

    def _digest(self, kind: str, value: str) -> str:
        mac = hmac.new(self.key, f"{kind}:{value}".encode(), hashlib.sha256)
        return mac.hexdigest()[:32]

    def ip(self, value: str) -> str:
        """Hash an IP address in canonical form (IPv4-mapped IPv6 collapses to IPv4)."""
        return self._digest("ip", normalise_ip(value))

    def device(self, value: str) -> str:
        """Hash a device id as given, ignoring surrounding white space and case."""
        return self._digest("device", value.strip().lower())


def normalise_ip(value: str) -> str:
    """Canonical text of an IP address; raises ValueError for anything else."""
    address = ipaddress.ip_address(value.strip())
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address)
