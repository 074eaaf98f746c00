"""Printing: worksheets, answer keys, class sets and lesson handouts as PDF (WeasyPrint).

``documents`` turns rows into template contexts, ``html`` renders the print templates,
``render`` drives WeasyPrint (restricted fetcher, class sets across processes), ``cache`` keeps
unchanged documents, ``service`` ties them to the database, ``jobs`` runs large class sets in
the background, and ``cli`` holds the ``quizapp export`` commands.
"""
