"""Cloud Resource Manager (``/v1/projects``, ``/v3/projects``, ``/v1/operations``)."""
