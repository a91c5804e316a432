"""Images: the builder (mmdebstrap from Debian's packages) and the image store."""
