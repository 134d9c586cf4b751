"""``python -m smtpd_compat``: the legacy ``python -m smtpd`` command line."""

from smtpd_compat._cli import main

if __name__ == "__main__":
    main()
