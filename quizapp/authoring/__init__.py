"""Teacher authoring services: the question bank, question editing, quiz and module building.

Services take the SQLAlchemy session and plain values and return results; they flush but never
commit (the view commits). Web forms live in ``quizapp.web.bank`` and ``quizapp.web.builders``.
"""
