"""Shared pieces of the load benchmark and the fault tests: a small HTTP client that signs in
and answers like a student, the production server (granian) started on 127.0.0.1, and the
seeding of a class.

Not a benchmark itself (``make bench`` runs only ``bench/*.py``).
"""
