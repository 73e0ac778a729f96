"""Import (admins only): upload contract files and see the same row-level report as the CLI."""

import logging
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard import auth, state, warmup
from data.load import ImportRefused, file_kind, import_files
from queries import audit

LOG = logging.getLogger(__name__)
viewer = auth.current_viewer()
if not viewer.is_admin:  # the page is listed for admins only; this keeps it so if that changes
    st.error("Only an admin may import files.")
    st.stop()
engine = state.engine_for(state.database_url())

st.title("Import")
st.write(
    "Upload the clinic files of the data contract, named by their kind: `locations`, `capacity`, "
    "`closures`, `users`, `targets`, `consultations`, `bookings` (`.csv` or `.xlsx`). A file "
    "with any bad row stores nothing, and every bad row is listed; the other files are still "
    "applied."
)
uploads = st.file_uploader(
    "Contract files", type=["csv", "xlsx"], accept_multiple_files=True, key="import_uploads"
)
names = [Path(upload.name).name for upload in uploads or []]
problems = []
for name in names:
    try:
        file_kind(Path(name))
    except ValueError as problem:
        problems.append(str(problem))
kinds = [Path(name).stem for name in names]
if len(set(kinds)) != len(kinds):
    problems.append("Upload one file per kind (for example not both bookings.csv and .xlsx).")
for problem in problems:
    st.error(problem)

if st.button("Import", type="primary", disabled=not names or bool(problems), key="import_run"):
    bar = st.progress(0.0, text="Starting…")
    with tempfile.TemporaryDirectory(prefix="dashboard-import-") as folder:
        # The kind comes from the file name, so each upload keeps its own name on disk.
        paths = [Path(folder) / name for name in names]
        for path, upload in zip(paths, uploads, strict=True):
            path.write_bytes(upload.getvalue())

        def shown(text: str) -> str:
            return text.replace(folder + "/", "")

        def progress(fraction: float, text: str) -> None:
            bar.progress(min(max(fraction, 0.0), 1.0), text=shown(text))

        # The importer audits each file, applied or not. With sign-in off nobody is signed
        # in: the actor is the operating-system user who started the server open.
        actor = viewer.email or audit.os_user()
        failed = False
        try:
            summary = import_files(engine, paths, progress=progress, actor=actor)
            refused, errors = [], []
        except ImportRefused as refusal:
            summary, refused, errors = refusal.summary, refusal.refused, refusal.errors
        except Exception:
            LOG.exception("import stopped on an error")
            failed = True
    bar.empty()
    if failed:
        st.cache_data.clear()  # files before the failing one may be stored
        st.error(
            "The import stopped on an unexpected error. Files listed in the audit log as "
            "imported are stored; the file it stopped on and those after it are not. "
            "The details are in the server's log."
        )
        st.stop()
    applied = [
        {"file": shown(f.source), "rows": f.rows, "inserted": f.inserted, "updated": f.updated}
        for f in summary.files
    ]
    if applied:
        # Loaders keep results for minutes; imported data shows now (and is warmed again).
        warmup.after_import(state.database_url())
        st.success("Applied: " + ", ".join(f"{a['file']} ({a['rows']} rows)" for a in applied))
    if refused:
        st.error(
            "Refused, nothing from these files was stored: " + ", ".join(shown(s) for s in refused)
        )
        st.dataframe(
            pd.DataFrame(
                [(shown(e.file), e.line, e.column, e.value, e.reason) for e in errors],
                columns=["file", "line", "column", "value", "reason"],
            ),
            hide_index=True,
        )
