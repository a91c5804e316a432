"""OAuth 2.0 token endpoint, public certificates, and user credential minting."""
