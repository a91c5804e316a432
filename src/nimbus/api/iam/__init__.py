"""IAM (``/v1/projects/*/serviceAccounts``, ``/v1/roles``, custom roles)."""
