"""Shared building blocks every service uses: errors, ids, time, paging, filters."""
