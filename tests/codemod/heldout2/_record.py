"""Shared by the round-trip programs: append process_message arguments as JSON lines.

Kept out of the programs' smtpd code so that the codemod sees only legacy API.
"""

import json
import os


def record(peer, mailfrom, rcpttos, data, **kwargs):
    entry = {
        "peer_host": peer[0],
        "mailfrom": mailfrom,
        "rcpttos": list(rcpttos),
        "data_type": type(data).__name__,
        "data": data.decode("latin-1") if isinstance(data, bytes) else data,
        "kwargs": {k: list(v) for k, v in sorted(kwargs.items())},
    }
    with open(os.environ["SMTPD_CODEMOD_RECORD"], "a", encoding="utf-8") as f:
        f.write(json.dumps(entry) + "\n")
