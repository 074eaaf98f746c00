"""Reports over plain rows: the gradebook, topic mastery and item analysis. No Flask, no session."""
