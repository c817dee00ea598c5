"""The course server (``grader serve``): students upload, workers grade, everyone reads results.

It uses the grading core only through its public API (``grader.Grader``, the results types,
the report writers); nothing in the core imports it. Modules:

- ``course``: ``course.toml``, the assignments and their rules
- ``db``, ``models``, ``migrations/``: the database (SQLAlchemy 2, Alembic)
- ``accounts``: users, passwords, API tokens, sign-in links, the roster
- ``submit``: accepting an upload (limits, deadlines) and storing it with its job
- ``queue``: the durable job queue and its leases
- ``worker``: a process that grades jobs; ``serve``: the web server and its workers
- ``visibility``: what a student may see of a result, decided when it is read
"""
