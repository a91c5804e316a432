"""The metadata server every instance reaches at 169.254.169.254 (the GCE contract)."""
