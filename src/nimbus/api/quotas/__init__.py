"""Cloud Quotas API (``/v1/projects/*/locations/global/quotaPreferences`` and
``quotaInfos``) for Compute Engine's quotas."""
