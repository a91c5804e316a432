"""Regions and zones, as Google Cloud names them."""
