"""Rule init: a local dict of smtpd's keywords, built before the base call (_keyword_dict)."""

from __future__ import annotations

import pytest
from before_after import check_noop, run  # noqa: E402

from smtpd_compat.codemod._build import expression
from smtpd_compat.codemod._keyword_dict import always_true

TEMPLATE = """
    import asyncore
    import smtpd
    import sys


    class Sink(smtpd.SMTPServer):
        def __init__(self, localaddr, decode=False):
            {build}
            smtpd.SMTPServer.__init__(self, localaddr, None, **options)

        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            print(data)


    server = Sink(("localhost", 0))
    asyncore.loop()
"""
GUARDED = """options = {{}}
            if {test}:
                options["decode_data"] = True"""


@pytest.mark.parametrize(
    "test",
    [
        "sys.version_info >= (3, 5)",
        "sys.version_info > (3,)",
        "sys.version_info[0] >= 3",
        "sys.version_info[0] == 3",
        "sys.version_info[0:2] >= (3, 5)",
        "sys.version_info[:2] > (2, 7)",
        "sys.version_info.major >= 3",
    ],
)
def test_version_guarded_keyword_is_passed(test):
    outcome = run(TEMPLATE.format(build=GUARDED.format(test=test)))
    assert [r for r in outcome.reports if not r.note] == []
    assert "        self._decode_data = True\n" in outcome.source
    assert "import smtpd" not in outcome.source


@pytest.mark.parametrize(
    "build",
    [
        'options = {"decode_data": decode}',
        "options = dict(decode_data=decode)",
        'options = {}\n            options["decode_data"] = decode',
        'options = {"decode_data": True}\n            options["decode_data"] = decode',
    ],
)
def test_dict_of_parameters_and_literals_is_read(build):
    outcome = run(TEMPLATE.format(build=build))
    assert [r for r in outcome.reports if not r.note] == []
    assert "        self._decode_data = decode\n" in outcome.source
    assert "            if self._decode_data:\n" in outcome.source  # decided per message


@pytest.mark.parametrize(
    "build",
    [
        GUARDED.format(test="sys.version_info >= (3, 10)"),  # false on 3.8 and 3.9
        GUARDED.format(test="sys.version_info[0] == 2"),
        GUARDED.format(test="PY3"),
        "options = {}\n            options.update(decode_data=True)",
        'options = {}\n            options["decode_data"] = sys.argv[1] == "d"',
        "options = {}\n            decode = not decode\n"
        '            options["decode_data"] = decode',
        "options = {}\n            if sys.version_info >= (3, 5):\n"
        '                options["decode_data"] = True\n                print(options)',
        'options = {}\n            options["decode_data"] = True\n'
        "            self.options = options",
        'options["decode_data"] = True',
    ],
)
def test_noop_dict_that_cannot_be_followed(build):
    reports = check_noop(TEMPLATE.format(build=build))
    assert any("cannot be read statically" in r for r in reports)


def test_noop_dict_that_repeats_an_explicit_keyword():
    source = TEMPLATE.format(build='options = {"decode_data": True}').replace(
        "None, **options", "None, decode_data=True, **options"
    )
    reports = check_noop(source)
    assert any("cannot be read statically" in r for r in reports)


@pytest.mark.parametrize(
    ("test", "true"),
    [
        ("sys.version_info >= (3, 8)", True),
        ("sys.version_info >= (3, 9)", False),
        ("sys.version_info < (3,)", False),
        ("sys.version_info[1] >= 5", True),  # the minor, on every 3.x from 3.8 (_versions)
        ("sys.version_info[1] >= 9", False),
        ("sys.version_info[1] == 6", False),
        ("sys.version_info[3] == 0", False),  # beyond (major, minor, micro): not read
        ("sys.version_info >= x", False),
        ("version_info >= (3, 5)", False),
    ],
)
def test_only_tests_true_from_python_38_on_count(test, true):
    assert always_true(expression(test)) is true
