"""The rules of notifications, without I/O: who hears what, retry schedule, valid targets."""
