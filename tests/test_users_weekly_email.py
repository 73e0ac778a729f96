"""The users file's optional `weekly_email` column: yes/no, default yes; older files stay valid."""

import pytest
from sqlalchemy import select

from data.export import export_contract_files
from data.load import ImportRefused, import_files
from queries.schema import users
from tests.builders import add_location


@pytest.fixture
def one_location(engine):
    with engine.begin() as conn:
        add_location(conn, "arlington")
    return engine


def _stored(engine) -> dict[str, bool]:
    with engine.connect() as conn:
        return dict(conn.execute(select(users.c.email, users.c.weekly_email)).all())


def test_a_users_file_without_the_column_turns_everyones_email_on(one_location, tmp_path):
    path = tmp_path / "users.csv"
    path.write_text("email,role,locations\na@x.org,admin,\nb@x.org,manager,arlington\n")
    import_files(one_location, [path])
    assert _stored(one_location) == {"a@x.org": True, "b@x.org": True}


def test_weekly_email_reads_yes_and_no_in_any_case_and_empty_as_yes(one_location, tmp_path):
    path = tmp_path / "users.csv"
    path.write_text(
        "email,role,locations,weekly_email\n"
        "a@x.org,admin,,No\nb@x.org,manager,arlington,\nc@x.org,manager,arlington,YES\n"
    )
    import_files(one_location, [path])
    assert _stored(one_location) == {"a@x.org": False, "b@x.org": True, "c@x.org": True}


def test_another_value_refuses_the_file_naming_line_and_column(one_location, tmp_path):
    path = tmp_path / "users.csv"
    path.write_text("email,role,locations,weekly_email\na@x.org,admin,,yes\nb@x.org,admin,,maybe\n")
    with pytest.raises(ImportRefused) as refused:
        import_files(one_location, [path])
    (error,) = refused.value.errors
    assert (error.line, error.column, error.value) == (3, "weekly_email", "maybe")
    assert _stored(one_location) == {}


def test_the_export_writes_the_column_back(one_location, tmp_path):
    path = tmp_path / "users.csv"
    path.write_text("email,role,locations,weekly_email\na@x.org,admin,,no\n")
    import_files(one_location, [path])
    out = tmp_path / "out"
    export_contract_files(one_location, out)
    assert (out / "users.csv").read_text().splitlines() == [
        "email,role,locations,weekly_email",
        "a@x.org,admin,,no",
    ]
