"""Compute Engine (``/compute/v1``): regions, zones and operations so far."""
