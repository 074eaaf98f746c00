"""The teacher's work: classes and rosters, CSV roster import, assignments and extensions,
and loading the rows the gradebook and item-analysis reports need.

Services flush and never commit; the view (or CLI command) that calls them commits.
"""
