"""Use cases of the notifications service: each takes a session and plain values."""
