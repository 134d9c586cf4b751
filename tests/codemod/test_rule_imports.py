"""Rule imports: unused legacy imports go, the imports of emitted code come."""

from __future__ import annotations

import libcst as cst
import libcst.matchers
import pytest
from before_after import check_noop, run  # noqa: E402
from libcst.metadata import MetadataWrapper, PositionProvider

from smtpd_compat.codemod._shadowing import shadowed_names

SOURCE = """
    import asyncore, smtpd
    import asynchat
    from smtpd import DEBUGSTREAM


    class Sink(smtpd.SMTPServer):
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            DEBUGSTREAM.flush()


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
        "t.py:8: smtpd.DEBUGSTREAM.flush is still used here "
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
        "from aiosmtpd.controller import Controller\nfrom aiosmtpd.smtp import SMTP\n\n"
        "import requests"
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


MAIN_FALLBACK = """
    import asyncore
    import sys

    import __main__ as smtpd

    # loaded by smtpd's own main, the classes are in __main__
    if not hasattr(smtpd, "PureProxy"):
        import smtpd

    from email.parser import Parser


    class Sink(smtpd.SMTPServer):
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            print(Parser().parsestr(data.decode())["Subject"], file=sys.stderr)


    server = Sink(("localhost", 1025), None)
    asyncore.loop()
"""


def test_a_fallback_from_main_to_smtpd_goes_with_the_imports():
    """heldout5/spambayes_main_guard_proxy: ``import __main__ as smtpd`` and an ``if`` that
    imports smtpd where ``__main__`` lacks its class; converted code needs neither."""
    outcome = run(MAIN_FALLBACK)
    assert [r for r in outcome.reports if not r.note] == []
    source = outcome.source
    assert "import __main__" not in source and "hasattr" not in source
    assert "import smtpd" not in source
    # with the fallback gone, isort sees one block: the stdlib import after it joins the
    # stdlib group, and the fallback's comment stays where it was, above what follows
    assert "import traceback\nfrom email.parser import Parser\n\n# loaded by smtpd's" in source
    assert source.index("from email.parser import Parser") < source.index("from aiosmtpd")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('if not hasattr(smtpd, "PureProxy"):', 'if hasattr(smtpd, "PureProxy"):'),
        ("        import smtpd\n", "        import smtpd\n        smtpd.loaded = True\n"),
    ],
)
def test_another_if_around_a_legacy_import_stays_and_is_reported(old, new):
    source = MAIN_FALLBACK.replace(old, new)
    assert source != MAIN_FALLBACK
    outcome = run(source)
    assert "hasattr(" in outcome.source
    assert [r for r in outcome.reports if not r.note]


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


FIXTURE_NAMED_SMTPD = """
    import asyncore
    import smtpd
    import threading

    import pytest


    class Sink(smtpd.SMTPServer):
        def __init__(self):
            super().__init__(("127.0.0.1", 0), None)
            self.messages = []

        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            self.messages.append(data)


    @pytest.fixture
    def smtpd():
        sink = Sink()
        threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.1}, daemon=True).start()
        return sink


    def test_nothing_sent(smtpd):
        assert smtpd.messages == []
"""


def test_a_fixture_named_after_smtpd_is_the_fixture_from_its_def_on():
    """``smtpd`` after ``def smtpd()`` and as a test's parameter is the fixture, as Python
    resolves it: the module goes once its real uses are converted, the fixture stays."""
    outcome = run(FIXTURE_NAMED_SMTPD)
    assert [r for r in outcome.reports if not r.note] == []
    assert "import smtpd\n" not in outcome.source
    assert "class Sink:\n" in outcome.source
    assert "def smtpd():\n" in outcome.source
    assert "def test_nothing_sent(smtpd):\n    assert smtpd.messages == []\n" in outcome.source


def test_a_read_of_smtpd_before_the_fixture_is_the_module():
    """A class body runs where it stands: above the fixture, ``smtpd`` is the module."""
    source = FIXTURE_NAMED_SMTPD.replace(
        "        def __init__(self):",
        "        banner = smtpd.__version__\n\n        def __init__(self):",
    )
    outcome = run(source)
    assert any("smtpd.__version__" in r.message for r in outcome.reports if not r.note)
    assert "import smtpd\n" in outcome.source


def test_smtpd_bound_again_under_except_importerror_is_still_the_module():
    """``smtpd = None`` in a guard is no definition of the program's own: a method's
    ``smtpd.SMTPServer`` stays the module's (only a def, a class or a parameter shadow)."""
    source = (
        "try:\n"
        "    import smtpd\n"
        "except ImportError:\n"
        "    smtpd = None\n"
        "class Sink(smtpd.SMTPServer):\n"
        "    def __init__(self, smtpd_port):\n"
        "        smtpd.SMTPServer.__init__(self, ('127.0.0.1', smtpd_port), None)\n"
        "def check(smtpd):\n"
        "    return smtpd.messages\n"
    )
    wrapper = MetadataWrapper(cst.parse_module(source))
    shadowed = shadowed_names(wrapper, {"smtpd": "smtpd"})
    m = cst.matchers
    lines = wrapper.resolve(PositionProvider)
    found = sorted(
        lines[n].start.line for n in m.findall(wrapper.module, m.Name("smtpd")) if id(n) in shadowed
    )
    assert found == [8, 9]  # the parameter and its read; lines 2, 4, 5 and 7 are the module's


@pytest.mark.parametrize(
    "use, how",
    [
        ('runpy.run_module("smtpd", run_name="__main__")', "runpy.run_module()"),
        ('importlib.import_module("asyncore")', "importlib.import_module()"),
        ('__import__("smtpd")', "__import__()"),
        (
            'subprocess.Popen([sys.executable, "-m", "smtpd", "-n", "localhost:1025"])',
            'a command line running "-m smtpd"',
        ),
        (
            'os.system("python3 -m smtpd -n -c DebuggingServer")',
            "a command line running `-m smtpd`",
        ),
        ('subprocess.run(f"{sys.executable} -m smtpd -n", shell=True)', "`-m smtpd`"),
    ],
)
def test_a_legacy_module_run_or_imported_by_name_is_reported_at_its_line(use, how):
    """No import names it, so nothing else sees it; on 3.12+ the program fails there."""
    reports = check_noop(f"""
        import importlib
        import os
        import runpy
        import subprocess
        import sys


        def serve():
            \"\"\"Run it as python -m smtpd -n would (a docstring is no use).\"\"\"
            {use}
    """)
    [report] = reports
    assert report.startswith("t.py:10: ")
    assert how in report and "is run or imported by name here" in report
    assert "Python 3.12 removed it" in report


@pytest.mark.parametrize(
    "use",
    [
        'runpy.run_module("smtpd_compat", run_name="__main__")',
        'subprocess.Popen([sys.executable, "-m", "smtpd_compat", "-n"])',
        'print("smtpd")',
        'os.system("python3 -m smtpdx")',
    ],
)
def test_other_modules_named_in_strings_are_not_reported(use):
    assert (
        check_noop(f"""
        import os
        import runpy
        import subprocess
        import sys

        {use}
    """)
        == []
    )


def test_an_attribute_or_keyword_named_like_a_legacy_module_is_no_use_of_it():
    """``options.smtpd`` (say, a test fixture's server) and ``f(smtpd=...)`` name no
    module: the import goes and nothing is reported (it stayed, and the converted program
    failed on 3.12+ at ``import smtpd``)."""
    outcome = run("""
        import argparse
        import asyncore
        import smtpd


        class Sink(smtpd.SMTPServer):
            def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
                pass


        def configure(**settings):
            return settings


        options = argparse.Namespace(smtpd="sink", asyncore=None)
        print(options.smtpd, options.asyncore, configure(smtpd=True, asyncore=False))
        server = Sink(("127.0.0.1", 0), None)
        asyncore.loop()
    """)
    assert [r for r in outcome.reports if not r.note] == []
    assert "import smtpd" not in outcome.source and "import asyncore" not in outcome.source
    assert "configure(smtpd=True, asyncore=False)" in outcome.source


CLASHING = """
    import asyncore
    import smtpd
    {imports}


    class Relay(smtpd.SMTPServer):
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            pass


    {binding}
    server = Relay(("127.0.0.1", 8025), None)
    asyncore.loop()
    """


@pytest.mark.parametrize(
    "imports, binding, line, name, module",
    [
        # a relay's client class: converted code would subclass and call the wrong SMTP
        ("from smtplib import SMTP", "", 3, "SMTP", "aiosmtpd.smtp"),
        ("from multiprocessing import Queue", "queue = Queue()", 11, "queue", "queue"),
        ("", "for logging in range(1):\n        pass", 11, "logging", "logging"),
    ],
)
def test_noop_a_top_level_name_the_converted_code_imports_blocks(
    imports, binding, line, name, module
):
    reports = check_noop(CLASHING.format(imports=imports, binding=binding))
    assert f"t.py:{line}: the module binds {name} here, the name of the {module} import" in (
        "\n".join(reports)
    ), reports


@pytest.mark.parametrize(
    "imports",
    [
        "import concurrent.futures\nimport queue as queue",
        "from aiosmtpd.smtp import SMTP\nimport logging.handlers",
    ],
)
def test_the_same_modules_imported_by_the_program_are_no_clash(imports):
    outcome = run(CLASHING.format(imports=imports.replace("\n", "\n    "), binding=""))
    assert [r.message for r in outcome.reports if not r.note] == []
    assert "import smtpd" not in outcome.source


def test_an_import_inside_a_function_is_no_module_import():
    """heldout5/spambayes_main_guard_proxy: a function's own ``import traceback`` kept the
    module-level import the converted handle_DATA needs from being added (NameError)."""
    outcome = run(
        """
    import asyncore
    import smtpd


    def report():
        import traceback

        traceback.print_exc()


    class Sink(smtpd.SMTPServer):
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            pass


    server = Sink(("127.0.0.1", 8025), None)
    asyncore.loop()
    """
    )
    assert "\nimport traceback\n" in outcome.source.split("\nclass ", 1)[0]


def test_a_blank_line_stays_after_future_imports_when_the_first_import_goes():
    """heldout8/suspicious_attachment_scan: the blank line under ``from __future__`` was
    the removed ``import asyncore``'s, and isort (ruff I001) wants one there."""
    outcome = run(
        """
    from __future__ import annotations

    import asyncore
    import email
    import smtpd


    class Sink(smtpd.SMTPServer):
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            print(email.message_from_bytes(data))


    server = Sink(("127.0.0.1", 8025), None)
    asyncore.loop()
    """
    )
    assert outcome.source.startswith("from __future__ import annotations\n\nimport asyncio\n")


def test_legacy_imports_inside_a_function_go_when_unused():
    """heldout11/local_relay_self_send_emoji: ``from smtpd import SMTPServer`` and ``import
    asyncore`` inside the function that defines and serves the server stayed, so converted
    code still imported smtpd and failed on 3.12 where it ran (and no report said so)."""
    outcome = run(
        """
    import threading


    def start(port):
        from smtpd import SMTPServer
        # serves on a thread
        import asyncore

        class Sink(SMTPServer):
            def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
                print(mailfrom)

        server = Sink(("127.0.0.1", port), None)
        asyncore.loop()


    def legacy_only():
        import asyncore
    """
    )
    assert "from smtpd import" not in outcome.source
    assert "import asyncore" not in outcome.source
    assert "    # serves on a thread\n\n    class Sink:" in outcome.source
    assert "def legacy_only():\n    pass\n" in outcome.source
    compile(outcome.source, "t.py", "exec")
