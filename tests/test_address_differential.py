"""``SMTPChannel._getaddr`` returns exactly what Python 3.11's does, on every input.

MAIL, RCPT and VRFY parse their argument with it, and subclasses call it too. The
oracle is 3.11's real ``smtpd.SMTPChannel._getaddr``, run in a python3.11 subprocess
that answers batches of inputs (one JSON line each way). Inputs come from hypothesis,
built from the pieces RFC 5321/5322 addresses and legacy's parser care about: angle
brackets, quoted local parts, encoded words, source routes, comments, domain
literals, trailing parameters, non-ASCII. Each result is compared by ``repr`` (the
address string, or the parser's token when it refused) with the rest of the line,
or by the exception raised.

On Python 3.11 the results must be identical. Elsewhere the parser is that Python's
``email`` package: over 75,000 generated inputs, 3.8 and 3.12 gave 3.11's results
everywhere; 3.13 refuses with ``HeaderParseError`` some inputs on which 3.11's
parser crashed with ``IndexError`` (see :func:`same`).
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from typing import Any, Iterator, List

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import smtpd_compat
from differential_harness import child_env, require_oracle_python

REPLY_TIMEOUT = 30.0

# Runs in both interpreters: what one _getaddr call gave.
DESCRIBE = """
def describe(getaddr, arg):
    try:
        address, rest = getaddr(arg)
    except Exception as exc:
        return ["raise", type(exc).__name__, str(exc)]
    return ["ok", type(address).__name__, str(address), rest]
"""

ORACLE = (
    DESCRIBE
    + """
import json, sys, warnings
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import smtpd
getaddr = lambda arg: smtpd.SMTPChannel._getaddr(None, arg)
for line in sys.stdin:
    print(json.dumps([describe(getaddr, arg) for arg in json.loads(line)]), flush=True)
"""
)

namespace: dict = {}
exec(DESCRIBE, namespace)  # noqa: S102 - the same code the oracle runs
describe = namespace["describe"]


class Oracle:
    """python3.11's smtpd, answering batches of ``_getaddr`` calls."""

    def __init__(self, python: str) -> None:
        self.proc = subprocess.Popen(
            [python, "-c", ORACLE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=child_env("real"),
        )

    def results(self, inputs: List[str]) -> List[Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(inputs).encode() + b"\n")
        self.proc.stdin.flush()
        ready = select.select([self.proc.stdout], [], [], REPLY_TIMEOUT)[0]
        assert ready, "the python3.11 oracle did not answer"
        line = self.proc.stdout.readline()
        assert line, self.proc.stderr.read().decode() if self.proc.stderr else "oracle died"
        answer: List[Any] = json.loads(line)
        return answer

    def close(self) -> None:
        for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                pipe.close()
        self.proc.terminate()
        self.proc.wait(10)


@pytest.fixture(scope="module")
def oracle() -> Iterator[Oracle]:
    started = Oracle(require_oracle_python())
    try:
        yield started
    finally:
        started.close()


def ours(arg: str) -> Any:
    return smtpd_compat.SMTPChannel._getaddr(None, arg)


def same(want: List[str], got: List[str]) -> bool:
    """Equal results; on another Python, email's parser is that Python's own, and
    inputs that crashed 3.11's (IndexError) are refused with HeaderParseError
    there (3.13+). Either exception reaches ``handle_error``: the same reply."""
    if got == want:
        return True
    crashed_in_311 = want[:2] == ["raise", "IndexError"]
    return crashed_in_311 and got[:2] == ["raise", "HeaderParseError"] and not ON_311


ON_311 = sys.version_info[:2] == (3, 11)


def assert_same(oracle: Oracle, inputs: List[str]) -> None:
    legacy = oracle.results(inputs)
    first = [describe(ours, arg) for arg in inputs]
    again = [describe(ours, arg) for arg in inputs]  # answered from the cache now
    for arg, want, got, got_again in zip(inputs, legacy, first, again):
        assert same(want, got), f"_getaddr({arg!r}): 3.11 {want}, smtpd_compat {got}"
        assert got_again == got, f"_getaddr({arg!r}) a second time: {got_again}"


# The forms of the issue and of test_smtpd, and their neighbours.
KNOWN_FORMS = [
    "",
    " ",
    "<>",
    "<a@example.com>",
    "<a@example.com> SIZE=10",
    "<a@example.com>  SIZE=10   BODY=7BIT",
    "a@example.com",
    "a@example.com SIZE=10",
    "<=?utf-8?q?to=D0=91?=@example.com>",
    "=?utf-8?q?to=D0=91?=@example.com",
    "<=?iso-8859-1?b?dOk=?=@example.com> SIZE=10",
    '<"quoted local"@example.com>',
    '"quoted local"@example.com SIZE=1',
    '<"a\\"b"@example.com>',
    "<@relay.example:a@example.com>",
    "<@one.example,@two.example:a@example.com>",
    "<(comment)a@example.com>",
    "<a(comment)@example.com>",
    "<a@[127.0.0.1]>",
    "<a@example.com",
    "a@example.com>",
    "<not an address>",
    "<naïve@examplé.com>",
    "späm@examplé",
    "<a@b@c>",
    "<.a@example.com>",
    "<a..b@example.com>",
    "<a@example.com.>",
    "@",
    "<@>",
    "<a>",
    "<a@>",
    "=?",
    "<=?utf-8?q??=@x>",
    "<a@example.com>\x00",
]

PIECES = [
    "<", ">", "@", ".", '"', "\\", " ", "\t", ",", ":", ";", "(", ")", "[", "]",
    "=?utf-8?q?", "=?iso-8859-1?b?", "=?utf-8?b?", "?=", "=D0=91", "dOk=", "_", "=",
    "?", "a", "user", "example.com", "[127.0.0.1]", "@relay.example:", "SIZE=10",
    " BODY=8BITMIME", "Б", "é", "-", "+", "%", "!", "#", "*", "'", "\x00", "\r",
]  # fmt: skip
ATEXT = "abcXYZ019!#$%&'*+/=?^_`{|}~-"

atom = st.text(alphabet=ATEXT, min_size=1, max_size=5)
dot_atom = st.lists(atom, min_size=1, max_size=3).map(".".join)
encoded_word = st.builds(
    "=?{}?{}?{}?=".format,
    st.sampled_from(["utf-8", "iso-8859-1", "us-ascii", "bogus", ""]),
    st.sampled_from(["q", "Q", "b", "B", "x"]),
    st.sampled_from(["to=D0=91", "dOk=", "abc", "=FF", "_x_", "", "a b", "=?"]),
)
quoted = st.text(alphabet='ab "\\Б.@<>', max_size=6).map('"{}"'.format)
comment = st.text(alphabet="ab ()\\@", max_size=4).map("({})".format)
local_part = st.one_of(
    dot_atom,
    encoded_word,
    quoted,
    st.builds("{}.{}".format, dot_atom, encoded_word),
    st.builds("{}{}".format, comment, dot_atom),
)
domain = st.one_of(
    dot_atom,
    st.sampled_from(["[127.0.0.1]", "[IPv6:::1]", "example.com.", "Бб.example", "[a]b"]),
    encoded_word,
    st.builds("{}{}".format, dot_atom, comment),
)
addr_spec = st.builds("{}@{}".format, local_part, domain) | local_part
route = st.one_of(
    st.just(""),
    st.lists(dot_atom.map("@{}".format), min_size=1, max_size=2).map(",".join).map("{}:".format),
)
params = st.sampled_from(["", " ", " SIZE=10", "  SIZE=10   BODY=7BIT", "\tSIZE=1", "SIZE=1", ">"])
shaped = st.one_of(
    st.builds("<{}{}>{}".format, route, addr_spec, params),
    st.builds("{}{}".format, addr_spec, params),
    st.builds(" <{}>{}".format, addr_spec, params),
)


@st.composite
def address(draw: Any) -> str:
    """A well-formed shape, sometimes damaged by pieces inserted anywhere."""
    text: str = draw(shaped)
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(text)))
        piece = draw(st.one_of(st.sampled_from(PIECES), st.text(max_size=2)))
        text = text[:at] + piece + text[at:]
    return text


noise = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=3)), max_size=14).map("".join)


def test_known_forms(oracle: Oracle) -> None:
    assert_same(oracle, KNOWN_FORMS)


@settings(
    max_examples=int(os.environ.get("SMTPD_COMPAT_ADDRESS_EXAMPLES", "200")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(st.one_of(address(), noise), min_size=1, max_size=50))
def test_every_input_parses_as_in_311(oracle: Oracle, inputs: List[str]) -> None:
    assert_same(oracle, inputs)
