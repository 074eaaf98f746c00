"""Printouts for staff: worksheet, key, handout and class-set PDFs, and class-set job progress."""
