"""The tier's own rule: a missing tool fails in CI and skips, naming it, elsewhere."""

from __future__ import annotations

import pytest
from realsoft_support import tool

ABSENT = "smtpd-compat-no-such-tool"


def test_a_missing_tool_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true: %s is not installed" % ABSENT):
        tool(ABSENT)


def test_a_missing_tool_skips_naming_it_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="%s is not installed" % ABSENT):
        tool(ABSENT)


@pytest.mark.parametrize("name", ["postfix", "postqueue", "sendmail", "swaks", "haproxy"])
def test_the_tools_are_found(name: str) -> None:
    assert tool(name).endswith("/" + name)
