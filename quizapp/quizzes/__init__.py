"""Quiz generation (pure) and the attempt lifecycle (services)."""
