"""Rule imports: unused legacy imports go, the imports of emitted code come."""

from __future__ import annotations

from before_after import check_noop, run  # noqa: E402

SOURCE = """
    import asyncore, smtpd
    import asynchat
    from smtpd import DEBUGSTREAM


    class Sink(smtpd.SMTPServer):
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            print(data, file=DEBUGSTREAM)


    server = Sink(("localhost", 1025), None)
    asyncore.loop()
"""


def test_used_imports_stay_unused_ones_go():
    outcome = run(SOURCE)
    assert "import asyncore" not in outcome.source
    assert "import asynchat" not in outcome.source
    assert "from smtpd import DEBUGSTREAM\n" in outcome.source
    assert "from aiosmtpd.controller import Controller\n" in outcome.source
    assert [r.format("t.py") for r in outcome.reports if not r.note] == [
        "t.py:8: smtpd.DEBUGSTREAM is still used here "
        "(see migration_guide.md, section 'What needs manual work')"
    ]


def test_noop_nothing_converted_keeps_imports():
    assert check_noop("import asyncore\nimport smtpd\n") == []


def test_a_comment_above_a_removed_import_stays():
    outcome = run("""
        import os

        # The legacy server of the 2014 setup.
        import asyncore
        import smtpd


        class Sink(smtpd.SMTPServer):
            def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
                print(os.getpid())


        server = Sink(("localhost", 1025), None)
        asyncore.loop()
    """)
    assert "import asyncore" not in outcome.source
    # Above the imports that replace the removed ones.
    assert (
        "import traceback\n\n# The legacy server of the 2014 setup.\n"
        "from aiosmtpd.controller import Controller\n"
    ) in outcome.source


def test_new_imports_join_the_stdlib_group_in_order_and_aiosmtpd_follows():
    outcome = run("""
        import asyncore
        import smtpd
        import sys
        from os import path

        import requests


        class Sink(smtpd.SMTPServer):
            def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
                print(sys, path, requests)


        server = Sink(("localhost", 1025), None)
        asyncore.loop()
    """)
    head = outcome.source.split("\n\n\n")[0]
    assert head == (
        "import asyncio\nimport concurrent.futures\nimport functools\nimport logging\n"
        "import queue\nimport sys\nimport threading\nimport traceback\nfrom os import path\n\n"
        "from aiosmtpd.controller import Controller\n\nimport requests"
    )


def test_an_import_only_the_rewritten_code_used_goes_one_unused_before_stays():
    outcome = run("""
        import asyncore
        import io
        import json
        import smtpd

        smtpd.DEBUGSTREAM = io.StringIO()


        class Sink(smtpd.SMTPServer):
            def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
                pass


        server = Sink(("localhost", 1025), None)
        asyncore.loop()
    """)
    assert "import io\n" not in outcome.source  # used only by the silenced DEBUGSTREAM
    assert "import json\n" in outcome.source  # unused before: not the codemod's business


def test_legacy_modules_count_as_stdlib_on_every_python():
    """3.12 dropped smtpd and asyncore from sys.stdlib_module_names; programs group them so."""
    from smtpd_compat.codemod.rules.imports import is_stdlib

    assert is_stdlib("smtpd") and is_stdlib("asyncore") and is_stdlib("asynchat")
    assert is_stdlib("concurrent.futures") and not is_stdlib("aiosmtpd.controller")


GUARDED = """
    import json
    import sys

    # smtpd left the standard library in 3.12
    try:
        import asyncore
        import smtpd
    except ImportError:
        sys.exit("this needs Python 3.11")
    try:
        import simplejson
    except ImportError:
        simplejson = json


    class Sink(smtpd.SMTPServer):
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            print(simplejson.dumps(rcpttos))


    server = Sink(("localhost", 1025), None)
    asyncore.loop()
"""


def test_a_guard_of_legacy_imports_goes_with_them_its_comment_stays():
    """Left in place, its handler would end the converted program where smtpd is gone."""
    outcome = run(GUARDED)
    assert [r for r in outcome.reports if not r.note] == []
    assert "import smtpd" not in outcome.source
    assert 'sys.exit("this needs Python 3.11")' not in outcome.source
    assert "import sys\n" not in outcome.source  # only the removed guard used it
    assert "# smtpd left the standard library in 3.12\n" in outcome.source
    assert "try:\n    import simplejson\nexcept ImportError:\n    simplejson = json\n" in (
        outcome.source
    )
    # the helpers follow every import, the guarded one too
    assert outcome.source.index("except ImportError") < outcome.source.index("class LoopThread")


def test_a_guard_that_also_imports_another_module_stays_and_blocks():
    outcome = run("""
        import asyncore
        try:
            import smtpd, json
        except ImportError:
            smtpd = json = None


        class Sink(smtpd.SMTPServer):
            def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
                print(json.dumps(rcpttos))


        server = Sink(("localhost", 1025), None)
        asyncore.loop()
    """)
    assert "    import smtpd, json\n" in outcome.source  # json is still wanted
    assert [r.format("t.py") for r in outcome.reports if not r.note] == [
        "t.py:5: smtpd is still used here "
        "(see migration_guide.md, section 'What needs manual work')"
    ]
