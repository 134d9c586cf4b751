"""The codemod needs libcst, which supports Python 3.9 and later (the ``codemod`` extra
installs it only there). On 3.8 these tests are not collected; from 3.9 on a missing
libcst fails them at import, never skips them. (libcst's own import-time
DeprecationWarning, from ``mypy_extensions``, is ignored in the pytest settings.)"""

import sys

collect_ignore_glob = ["test_*.py"] if sys.version_info < (3, 9) else []
