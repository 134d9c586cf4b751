"""What the codemod could not rewrite, with a pointer to the guide's section."""

from __future__ import annotations

from dataclasses import dataclass

GUIDE = "migration_guide.md"


@dataclass(frozen=True, order=True)
class Report:
    """One ``path:line: what and why`` line for stderr."""

    line: int
    message: str
    section: str
    note: bool = False  # a behaviour change in converted code, not a blocker

    def format(self, path: str) -> str:
        kind = "note: " if self.note else ""
        return f"{path}:{self.line}: {kind}{self.message} (see {GUIDE}, section {self.section!r})"
