"""Fault drills (`make drill`): the platform under load while servers and workers fail."""
