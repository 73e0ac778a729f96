"""Import (admins only): upload contract files, or a clinic system's export through a mapping,
and see the same row-level report as the CLI."""

import logging
import tempfile
from pathlib import Path

import streamlit as st

from dashboard import auth, mapping_step, state, warmup
from data.load import ImportRefused, file_kind, import_files
from queries import audit

LOG = logging.getLogger(__name__)
viewer = auth.current_viewer()
if not viewer.is_admin:  # the page is listed for admins only; this keeps it so if that changes
    st.error("Only an admin may import files.")
    st.stop()
engine = state.engine_for(state.database_url())
# The importer audits each file, applied or not. With sign-in off nobody is signed in: the actor
# is the operating-system user who started the server open.
actor = viewer.email or audit.os_user()

st.title("Import")
st.write(
    "Upload the clinic files of the data contract, named by their kind: `locations`, `capacity`, "
    "`closures`, `users`, `targets`, `consultations`, `bookings` (`.csv` or `.xlsx`). A file "
    "with any bad row stores nothing, and every bad row is listed; the other files are still "
    "applied. Any other file is taken as an export of the scheduling or call-tracking system: "
    "its columns are mapped to bookings or consultations once, and the mapping is recognised by "
    "the file's columns next time."
)
uploads = st.file_uploader(
    "Contract files or an export", type=["csv", "xlsx"], accept_multiple_files=True,
    key="import_uploads",
)  # fmt: skip
names = [Path(upload.name).name for upload in uploads or []]
exports = []
for name in names:
    try:
        file_kind(Path(name))
    except ValueError:
        exports.append(name)
problems = []
kinds = [Path(name).stem for name in names]
if len(set(kinds)) != len(kinds):
    problems.append("Upload one file per kind (for example not both bookings.csv and .xlsx).")
if exports and len(names) > 1:
    problems.append(
        f"Upload an export on its own ({', '.join(exports)} is not a contract file, so it is "
        "mapped by itself first)."
    )
for problem in problems:
    st.error(problem)


def report(outcome, folder: str) -> None:
    """What was applied and what was refused, with every error; `outcome` None if it failed."""
    if outcome is None:
        st.cache_data.clear()  # files before the failing one may be stored
        st.error(
            "The import stopped on an unexpected error. Files listed in the audit log as "
            "imported are stored; the file it stopped on and those after it are not. "
            "The details are in the server's log."
        )
        st.stop()
    summary, refused, errors = outcome
    applied = [(f.source.replace(folder + "/", ""), f.rows) for f in summary.files]
    if applied:
        # Loaders keep results for minutes; imported data shows now (and is warmed again).
        warmup.after_import()
        st.success("Applied: " + ", ".join(f"{name} ({rows} rows)" for name, rows in applied))
    if refused:
        st.error(
            "Refused, nothing from these files was stored: "
            + ", ".join(s.replace(folder + "/", "") for s in refused)
        )
        mapping_step.show_errors(errors, folder)


def imported(run) -> tuple | None:
    """`run()`'s summary, refused files and errors; None if it stopped on an unexpected error."""
    try:
        return run(), [], []
    except ImportRefused as refusal:
        return refusal.summary, refusal.refused, refusal.errors
    except Exception:
        LOG.exception("import stopped on an error")
        return None


if exports and not problems:
    with tempfile.TemporaryDirectory(prefix="dashboard-import-") as folder:
        path = Path(folder) / exports[0]
        path.write_bytes(uploads[0].getvalue())
        mapping = mapping_step.show(engine, viewer.scope, path, exports[0])
        ready = mapping is not None and mapping_step.preview(engine, path, exports[0], mapping)
        if st.button("Save the mapping and import", type="primary", disabled=not ready,
                     key="map_import"):  # fmt: skip
            with st.spinner("Importing…"):
                outcome = imported(lambda: mapping_step.run_import(engine, path, mapping, actor))
            report(outcome, folder)
elif st.button("Import", type="primary", disabled=not names or bool(problems), key="import_run"):
    bar = st.progress(0.0, text="Starting…")
    with tempfile.TemporaryDirectory(prefix="dashboard-import-") as folder:
        # The kind comes from the file name, so each upload keeps its own name on disk.
        paths = [Path(folder) / name for name in names]
        for path, upload in zip(paths, uploads, strict=True):
            path.write_bytes(upload.getvalue())

        def progress(fraction: float, text: str) -> None:
            bar.progress(min(max(fraction, 0.0), 1.0), text=text.replace(folder + "/", ""))

        outcome = imported(lambda: import_files(engine, paths, progress=progress, actor=actor))
    bar.empty()
    report(outcome, folder)
