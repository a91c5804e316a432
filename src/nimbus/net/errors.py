"""The errors ``nimbus.net`` raises. Anything else escaping it is a bug (or the kernel's
``OSError``, passed through unchanged)."""

from __future__ import annotations


class NetError(Exception):
    """Base of the errors of the network fabric."""


class InvalidName(NetError):
    """An id that cannot be part of a namespace or link name."""


class NetworkNotFound(NetError):
    """The network (or the subnet asked for) was never ensured on this host."""


class InstanceNotFound(NetError):
    """The instance is not attached on this host."""


class AddressConflict(NetError):
    """An internal or external address is already held by another instance."""


class NoExternalRange(NetError):
    """Every /24 of 100.64.0.0/10 overlaps a host route or address."""
