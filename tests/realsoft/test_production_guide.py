"""migration_guide.md's "Running it in production" shows the settings the tier runs.

Site-specific values (addresses, file names, the credentials map) are the guide's
placeholders; every other setting must be the tested one, so the guide cannot drift
from what was run against the real Postfix and HAProxy.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Dict, List, Set

from haproxy_instance import CONFIG, SERVER_LINE
from postfix_instance import relay_settings
from realsoft_support import production_shim_options

GUIDE = Path(__file__).parents[2] / "migration_guide.md"
SECTION = "## Running it in production"
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
SITE_SPECIFIC = {"relayhost", "smtp_tls_CAfile", "smtp_sasl_password_maps"}


def section_blocks(language: str) -> List[str]:
    text = GUIDE.read_text()
    start = text.index("\n%s\n" % SECTION)
    end = text.index("\n## ", start + 1)
    return [body for lang, body in BLOCK.findall(text[start:end]) if lang == language]


def main_cf(block: str) -> Dict[str, str]:
    pairs = (line.split("=", 1) for line in block.splitlines() if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs}


def test_postfix_settings_are_the_tested_ones() -> None:
    (block,) = section_blocks("ini")
    shown = main_cf(block)
    tested = relay_settings(Path("/instance"), 2525, Path("/ca.pem"), "user", "password")
    assert set(shown) <= set(tested)
    assert {k: v for k, v in shown.items() if k not in SITE_SPECIFIC} == {
        k: tested[k] for k in shown if k not in SITE_SPECIFIC
    }
    assert SITE_SPECIFIC <= set(shown)


def test_haproxy_settings_are_the_tested_ones() -> None:
    (block,) = section_blocks("haproxy")
    tested = {line.strip() for line in CONFIG.splitlines()}
    server_options = SERVER_LINE.split("%d", 1)[1].strip()
    lines = [line.strip() for line in block.splitlines() if line.strip()]
    servers = [line for line in lines if line.startswith("server ")]
    assert len(servers) >= 2
    assert all(line.endswith(" " + server_options) for line in servers)
    others = [line for line in lines if not line.startswith(("server ", "bind "))]
    assert [line for line in others if line not in tested] == []


def keywords_of_the_server_call(source: str) -> Set[str]:
    calls = [
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Sink"
    ]
    (call,) = calls
    return {keyword.arg for keyword in call.keywords if keyword.arg}


def test_the_instance_gets_the_tested_options() -> None:
    (block,) = section_blocks("python")
    assert keywords_of_the_server_call(block) == set(production_shim_options(None, None))
