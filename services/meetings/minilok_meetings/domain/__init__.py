"""Pure domain rules of the meetings service (no I/O)."""
