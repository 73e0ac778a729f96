"""Write the next schema migration from the change to queries/schema.py.

    python -m queries.new_migration "add a note column to targets"

The newest migrations are applied to a scratch SQLite database, Alembic compares it with
`queries.schema.metadata`, and the difference is written as
`queries/migrations/versions/NNNN_<message>.py`, numbered after the newest. Read the file before
committing it: Alembic does not see triggers, renamed columns or changes to the rows, and
statements for one database need a dialect check (see 0002 and 0005). README, Development,
says how to test it.
"""

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from alembic import command
from alembic.config import Config

from queries.db import MIGRATIONS, head_revision, make_engine, upgrade


def next_revision(head: str | None) -> str:
    """The id after `head`: migrations are numbered 0001, 0002, ..."""
    if head is None or not head.isdigit():
        raise ValueError(f"the newest migration's id is not a number: {head!r}")
    return f"{int(head) + 1:04d}"


def write_migration(message: str) -> Path:
    """Autogenerate the next migration into queries/migrations/versions; returns its path."""
    revision = next_revision(head_revision())
    with tempfile.TemporaryDirectory(prefix="new-migration-") as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'scratch.sqlite'}")
        try:
            upgrade(engine)
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            with engine.begin() as connection:
                config.attributes["connection"] = connection
                script = command.revision(
                    config, message=message, autogenerate=True, rev_id=revision
                )
        finally:
            engine.dispose()
    return Path(script.path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m queries.new_migration",
        description="Write the next migration from the change to queries/schema.py.",
    )
    parser.add_argument("message", help="what the migration changes, in a few words")
    args = parser.parse_args(argv)
    try:
        path = write_migration(args.message)
    except ValueError as error:
        sys.stderr.write(f"error: {error}\n")
        return 2
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
