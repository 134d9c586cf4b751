"""The rewrite rules, in the order they run: an explicit registry."""

from __future__ import annotations

from typing import Tuple

from smtpd_compat.codemod._rule import Rule
from smtpd_compat.codemod.rules import (
    auth,
    banner,
    channel,
    constants,
    debugging,
    debugstream,
    handler,
    imports,
    init,
    policy,
    startup,
    thread,
    verbs,
)

RULES: Tuple[Rule, ...] = (
    handler.RULE,
    init.RULE,
    startup.RULE,
    thread.RULE,
    debugging.RULE,
    policy.RULE,
    auth.RULE,
    verbs.RULE,
    banner.RULE,
    debugstream.RULE,
    constants.RULE,
    channel.RULE,
    imports.RULE,
)
