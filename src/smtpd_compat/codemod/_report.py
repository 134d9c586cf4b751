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

    def format(self, path: str) -> str:
        return f"{path}:{self.line}: {self.message} (see {GUIDE}, section {self.section!r})"
