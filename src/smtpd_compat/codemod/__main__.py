"""``python -m smtpd_compat.codemod``."""

import sys

from smtpd_compat.codemod import main

sys.exit(main())
