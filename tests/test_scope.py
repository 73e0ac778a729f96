"""A scope says "every location" in so many words: no default, and `None` is not a scope."""

import pytest

from queries.scope import EVERY_LOCATION, EVERYTHING, Scope


@pytest.mark.parametrize(
    "make",
    [lambda: Scope(), lambda: Scope(allowed=None), lambda: Scope(allowed=["arlington"])],
    ids=["no argument", "None", "a list"],
)
def test_a_scope_without_an_explicit_value_is_refused(make):
    with pytest.raises(TypeError):
        make()


def test_every_location_is_its_own_value_and_narrows_to_itself_only_when_all_are_asked_for():
    assert EVERYTHING.every_location and EVERYTHING.allowed is EVERY_LOCATION
    assert EVERYTHING.narrow(None) is EVERY_LOCATION
    assert EVERYTHING.narrow(["rockville", "arlington"]) == ["arlington", "rockville"]


def test_a_managers_scope_never_narrows_to_every_location():
    manager = Scope(allowed=frozenset({"rockville", "arlington"}))
    assert not manager.every_location
    assert manager.narrow(None) == ["arlington", "rockville"]
    assert manager.narrow(["arlington", "bethesda"]) == ["arlington"]
    assert Scope(allowed=frozenset()).narrow(None) == []


def test_a_scope_and_its_cache_key_make_each_other():
    manager = Scope(allowed=frozenset({"rockville", "arlington"}))
    assert manager.key() == ("arlington", "rockville")
    assert Scope.from_key(("arlington", "rockville")) == manager
    assert EVERYTHING.key() is EVERY_LOCATION
    assert Scope.from_key(EVERY_LOCATION) == EVERYTHING
    assert Scope.from_key(()) == Scope(allowed=frozenset())
