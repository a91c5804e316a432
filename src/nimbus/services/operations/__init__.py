"""Long-running operations: every slow change is an Operation a client can poll or wait on."""
