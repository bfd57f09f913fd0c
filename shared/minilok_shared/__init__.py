"""Minilok common package: what every service shares (settings, database, events, auth, web, CLI)."""
