"""The student's side of learning: question views, lessons, review and progress."""
