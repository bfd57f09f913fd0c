"""The web dashboard served at `/`: server-rendered pages over the same service functions the
API uses, a signed session cookie, and live updates by Server-Sent Events."""
