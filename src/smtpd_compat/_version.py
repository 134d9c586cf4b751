"""The package's version, in one place (the build reads it from here).

Not ``smtpd_compat.__version__``: that name keeps the legacy banner string
``"Python SMTP proxy version 0.3"``, as ``smtpd.__version__`` did.
"""

VERSION = "0.1.0"
