"""Nimbus: a Google-Cloud-compatible cloud you run yourself."""

__version__ = "0.1.0"
