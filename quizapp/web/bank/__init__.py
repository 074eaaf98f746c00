"""The question bank: browse, search, preview, author, export and import questions."""
