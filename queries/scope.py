"""Who may see which locations: every query narrows its locations through a `Scope`."""

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    """The locations a caller may read; `allowed=None` means every location (admin, CLI)."""

    allowed: frozenset[str] | None = None

    def narrow(self, requested: Iterable[str] | None) -> list[str] | None:
        """The requested locations the caller may see, sorted; `None` asked for means all of them.

        Returns `None` only for an unrestricted caller asking for everything.
        """
        if requested is None:
            return None if self.allowed is None else sorted(self.allowed)
        wanted = set(requested)
        if self.allowed is not None:
            wanted &= self.allowed
        return sorted(wanted)


EVERYTHING = Scope()
