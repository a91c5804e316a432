"""Reconcilers: they drive the world (runtime, network) toward the desired state in the store."""
