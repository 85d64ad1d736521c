"""Organiser pages."""
