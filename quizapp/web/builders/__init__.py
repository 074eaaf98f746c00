"""Quiz, lesson and module builders for teachers."""
