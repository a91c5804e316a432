"""What ``nimbus storage`` is made of: URLs, listings, transfers, views and signing."""
