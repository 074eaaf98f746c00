"""Signing in and out, joining a class, first-time setup and password changes."""
