"""The first start fills the embedded database; nobody reads it half-written."""

from sqlalchemy import insert

from dashboard import state
from queries.db import DEFAULT_SQLITE_PATH
from queries.schema import locations

EMBEDDED = f"sqlite:///{DEFAULT_SQLITE_PATH}"


def _one_location(engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(locations).values(
                location_id="rockville",
                name="Rockville",
                city="Rockville",
                state="MD",
                timezone="America/New_York",
            )
        )


def test_a_session_waits_while_another_is_still_writing_the_demo_data(engine):
    _one_location(engine)  # the generator has written its first file, not yet the bookings
    lock = state._bootstrap_lock()
    with lock:
        assert state.needs_demo_data(EMBEDDED, engine)
    assert not state.needs_demo_data(EMBEDDED, engine)


def test_an_empty_embedded_database_gets_demo_data_but_a_configured_one_never_does(engine):
    assert state.needs_demo_data(EMBEDDED, engine)
    assert not state.needs_demo_data("postgresql+psycopg://clinic@db/clinic", engine)
