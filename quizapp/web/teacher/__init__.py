"""The teacher blueprint."""
