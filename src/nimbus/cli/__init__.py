"""The ``nimbus`` command, in gcloud's grammar. It talks to the API over HTTP only."""
