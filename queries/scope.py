"""Who may see which locations: every query narrows its locations through a `Scope`.

A scope names its locations, or says `EVERY_LOCATION` (admins, the command line) in so many
words: there is no default, and `None` is not a scope.
"""

import enum
from collections.abc import Iterable
from dataclasses import dataclass


class EveryLocation(enum.Enum):
    """The one value of a scope that may read every location, present and future."""

    EVERY_LOCATION = "every location"


EVERY_LOCATION = EveryLocation.EVERY_LOCATION


@dataclass(frozen=True)
class Scope:
    """The locations a caller may read: a set of location ids, or `EVERY_LOCATION`."""

    allowed: frozenset[str] | EveryLocation

    def __post_init__(self) -> None:
        # Fail closed on a value that is neither: `None` or a list must not mean "everything".
        if self.allowed is not EVERY_LOCATION and not isinstance(self.allowed, frozenset):
            raise TypeError(
                f"Scope(allowed=...) takes a frozenset of location ids or EVERY_LOCATION, "
                f"not {self.allowed!r}"
            )

    @property
    def every_location(self) -> bool:
        return self.allowed is EVERY_LOCATION

    def narrow(self, requested: Iterable[str] | None) -> list[str] | EveryLocation:
        """The requested locations the caller may see, sorted; `requested=None` asks for all of
        them. `EVERY_LOCATION` only for a caller of every location asking for everything."""
        if requested is None:
            return EVERY_LOCATION if self.every_location else sorted(self.allowed)
        wanted = set(requested)
        if not self.every_location:
            wanted &= self.allowed
        return sorted(wanted)

    def key(self) -> tuple[str, ...] | EveryLocation:
        """A plain, hashable value for cache keys: the sorted ids, or `EVERY_LOCATION`."""
        return EVERY_LOCATION if self.every_location else tuple(sorted(self.allowed))

    @classmethod
    def from_key(cls, key: Iterable[str] | EveryLocation) -> "Scope":
        """The scope `key()` was made from."""
        return cls(allowed=key if key is EVERY_LOCATION else frozenset(key))


EVERYTHING = Scope(allowed=EVERY_LOCATION)
