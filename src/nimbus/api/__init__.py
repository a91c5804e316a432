"""HTTP only: the app factory, one router package per Google API, auth and error mapping."""
