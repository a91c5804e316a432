"""Drivers that realize instances: one interface (``driver.py``), several drivers."""
