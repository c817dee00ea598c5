"""The course server (``grader serve``): students upload, workers grade, everyone reads results.

It uses the grading core only through its public API (``grader.Grader``, the results types,
the report writers); nothing in the core imports it. Modules:

- ``course``: ``course.toml``, the assignments and their rules
- ``db``, ``models``, ``migrations/``: the database (SQLAlchemy 2, Alembic)
- ``accounts``: users, passwords, API tokens, sign-in links, the roster
- ``submit``: accepting an upload (limits, deadlines) and storing it with its job
- ``queue``: the durable job queue and its leases; ``regrade``, ``extensions``
- ``worker``, ``worker_main``: a process that grades jobs; ``serve``: the web server and its
  supervised workers
- ``records``, ``history``, ``documents``, ``visibility``: reading results back, and what a
  student may see of them, decided when they are read
- ``app``: the Starlette application (errors, CSP, the upload cap: ``bodylimit``, ``multipart``;
  ``auth``: sessions, CSRF, tokens; ``ratelimit``)
- ``api``, ``api_student``, ``api_instructor``: the JSON API
- ``pages``, ``pages_student``, ``pages_instructor``, ``templates/``, ``static/``: the website;
  ``dashboard`` (statistics), ``charts`` (SVG), ``feedback_view`` (the annotated notebook)
"""
