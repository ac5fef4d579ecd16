"""Home's live counts, composed over the ports (no port of its own)."""
