"""Cloud Storage JSON API (``/storage/v1``, ``/upload/storage/v1``, ``/download/storage/v1``)."""
