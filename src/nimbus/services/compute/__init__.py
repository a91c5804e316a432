"""Compute Engine: project settings now; instances, disks and networks build on it."""
