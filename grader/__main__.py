"""``python -m grader``."""

import os
import sys

# `python -m` puts the current folder first on sys.path, and `grader check` is run in a
# student's folder: a numpy.py or json.py there would be imported, i.e. run, in the grader's
# own process. The grader package is already imported; nothing else may come from there.
_SAFE_PATH = getattr(sys.flags, "safe_path", False)
if not _SAFE_PATH and sys.path and os.path.abspath(sys.path[0] or ".") == os.getcwd():
    del sys.path[0]

from grader.cli import main  # noqa: E402

sys.exit(main())
