"""Minilok notifications service: agencies subscribe to events and hear them on the channel they read."""
