"""The sign-in gate: who is using the app and which locations they may see.

`gate()` runs before any data is read. It returns the `Viewer` (signed in and listed, or the
visitor of an open demo) or draws the sign-in, no-access or setup page and stops the run.
Audit events (sign-in, page views, downloads) are written here too, so pages stay thin.
"""

import os
from collections.abc import Callable, Mapping

import streamlit as st
from sqlalchemy import Engine

from queries import audit
from queries.access import (
    ADMIN,
    AccessMode,
    EmailTrust,
    Viewer,
    access_mode,
    cookie_secret_problem,
    is_demo_database,
    is_loopback,
    verified_email,
)
from queries.access import viewer_for_email as lookup_viewer
from queries.scope import EVERYTHING

AUTH_SETTING = "DASHBOARD_AUTH"
# Set by scripts/serve for its replicas: the address its proxy listens on.
PROXY_ADDRESS = "DASHBOARD_PROXY_ADDRESS"
# secrets.toml section of the sign-in rules that are ours, not Streamlit's `[auth]`.
SIGNIN_SECTION = "signin"
_VIEWER = "auth_viewer"
_SIGNED_IN = "auth_sign_in_recorded"
_LAST_VIEW = "auth_last_page_view"


def auth_configured() -> bool:
    """Whether `.streamlit/secrets.toml` has an `[auth]` section (OpenID Connect sign-in)."""
    return st.secrets.load_if_toml_exists() and "auth" in st.secrets


def current_mode(engine: Engine, configured: bool | None = None) -> AccessMode:
    """How visitors are admitted: from the secrets (`configured`: `auth_configured()` unless
    given), `DASHBOARD_AUTH`, the address the server listens on and the database (read only
    when the mode depends on it)."""

    def demo() -> bool:
        with engine.connect() as conn:
            return is_demo_database(conn)

    return access_mode(
        auth_configured=auth_configured() if configured is None else configured,
        auth_setting=os.environ.get(AUTH_SETTING),
        demo=demo,
        loopback=_listening()[1],
    )


def _auth_off() -> bool:
    return (os.environ.get(AUTH_SETTING) or "").strip().lower() == "off"


def _listening() -> tuple[str | None, bool]:
    """The address visitors reach this server on, and whether it is loopback only.

    Behind `scripts/serve` they come through the proxy's address, not the replica's.
    """
    address = st.get_option("server.address")
    proxy = os.environ.get(PROXY_ADDRESS)
    if proxy is not None and not is_loopback(proxy):
        return proxy, False
    return address, is_loopback(address)


def gate(engine: Engine) -> Viewer:
    """The viewer of this run; anyone who may not see data gets a page without it, and the run
    stops."""
    configured = auth_configured()
    if configured and (problem := cookie_secret_problem(st.secrets["auth"].get("cookie_secret"))):
        _setup_page(
            f"Sign-in is configured, but {problem}: anyone who knows it could forge a "
            "signed-in identity, so nothing is shown.",
            "set `cookie_secret` in the `[auth]` section of `.streamlit/secrets.toml` to at "
            "least 32 random characters, for example the output of "
            '`python -c "import secrets; print(secrets.token_urlsafe(48))"`, and restart the app',
        )
    # Once a run: without a secrets file, Streamlit looks for one again on every call, under a
    # lock every session's run goes through.
    mode = current_mode(engine, configured)
    if mode is AccessMode.SETUP and _auth_off():
        address, _ = _listening()
        _setup_page(
            f"{AUTH_SETTING}=off is set, but this server listens on "
            f"{address or 'every network interface'}, so anyone who can reach it would see "
            "every location; nothing is shown.",
            "either run it on this machine alone with `--server.address 127.0.0.1`, or set up "
            "sign-in: an `[auth]` section in `.streamlit/secrets.toml` (see "
            "`.streamlit/secrets.toml.example` and `docs/access.md`) and a users file",
        )
    if mode is AccessMode.SETUP:
        _setup_page(
            "Sign-in is not configured, and this database holds clinic data, so nothing is shown.",
            "either add an `[auth]` section to `.streamlit/secrets.toml` (see "
            "`.streamlit/secrets.toml.example` and `docs/access.md`) and import a users file, "
            f"or, on a machine only you can reach, start the app with `{AUTH_SETTING}=off` and "
            "`--server.address 127.0.0.1` to run it without sign-in",
        )
    if mode is AccessMode.DEMO:
        st.warning(
            "Demo mode, sign-in is off: this database holds only generated demo data, "
            "so everyone who can open this address sees it.",
            icon=":material/lock_open:",
        )
        viewer = Viewer(email=None, role=None, scope=EVERYTHING)
    elif mode is AccessMode.OPEN:
        st.warning(
            f"Sign-in is off ({AUTH_SETTING}=off): everyone who can open this address sees every "
            "location.",
            icon=":material/lock_open:",
        )
        viewer = Viewer(email=None, role=ADMIN, scope=EVERYTHING)
    else:
        viewer = _signed_in_viewer(engine)
    st.session_state[_VIEWER] = viewer
    return viewer


def current_viewer() -> Viewer:
    """The viewer `gate()` admitted in this run (pages call it; the app gates first)."""
    return st.session_state[_VIEWER]


def _signed_in_viewer(engine: Engine) -> Viewer:
    if not st.user.is_logged_in:
        _sign_in_page()
    # Only an address the provider vouches for (email_verified), or one an admin chose to trust
    # (`[signin]` in secrets.toml), is looked up in the users list.
    trust = EmailTrust.from_settings(st.secrets.get(SIGNIN_SECTION, {}))
    email = verified_email(st.user.to_dict(), trust)
    with engine.connect() as conn:
        viewer = lookup_viewer(conn, email=email)
    if not viewer.has_access:
        _record_once(engine, viewer, audit.NO_ACCESS)
        _no_access_page(viewer)
    _record_once(engine, viewer, audit.SIGN_IN, {"role": viewer.role})
    with st.sidebar:
        st.caption(f"Signed in as {viewer.email} ({viewer.role})")
        st.button("Sign out", key="auth_sign_out", on_click=_sign_out, args=(engine, viewer.email))
    return viewer


def _record_once(
    engine: Engine, viewer: Viewer, action: str, detail: Mapping[str, object] | None = None
) -> None:
    # Once per browser session and address: every widget change reruns the script.
    key = (action, viewer.email)
    if st.session_state.get(_SIGNED_IN) != key:
        audit.record(engine, email=viewer.email, action=action, detail=detail)
        st.session_state[_SIGNED_IN] = key


def _sign_out(engine: Engine, email: str | None) -> None:
    audit.record(engine, email=email, action=audit.SIGN_OUT)
    st.logout()


def _sign_in_page() -> None:
    st.title("Clinic operations")
    st.write("These are clinic records. Sign in with your clinic account to see the dashboard.")
    if st.button("Sign in", type="primary", key="auth_sign_in"):
        st.login()
    st.stop()


def _no_access_page(viewer: Viewer) -> None:
    st.title("Clinic operations")
    st.info(
        f"You are signed in as {viewer.email or 'an account without an e-mail address'}, "
        "but that address has no access to this dashboard. If you should see it, ask the "
        "operations director to add you to the users list.",
        icon=":material/block:",
    )
    if st.button("Sign out", key="auth_no_access_sign_out"):
        st.logout()
    st.stop()


def _setup_page(problem: str, remedy: str) -> None:
    st.title("Clinic operations")
    st.error(problem, icon=":material/lock:")
    st.markdown(f"To finish the setup, {remedy}.")
    st.stop()


def admin_pages(viewer: Viewer) -> list[st.Page]:
    """The pages listed for admins only, so that no link reaches them for anyone else."""
    if not viewer.is_admin:
        return []
    return [
        st.Page("app_pages/import_files.py", title="Import", icon=":material/upload_file:"),
        st.Page("app_pages/targets.py", title="Targets", icon=":material/flag:"),
        st.Page("app_pages/audit.py", title="Audit log", icon=":material/policy:"),
        st.Page("app_pages/emails.py", title="E-mails", icon=":material/mail:"),
    ]


def record_page_view(engine: Engine, viewer: Viewer, page: str, selection: Mapping) -> None:
    """Log a page view with its selection, once per change of page or selection."""
    detail = {"page": page, **selection}
    key = repr(sorted(detail.items()))
    if st.session_state.get(_LAST_VIEW) != key:
        audit.record(engine, email=viewer.email, action=audit.PAGE_VIEW, detail=detail)
        st.session_state[_LAST_VIEW] = key


def audited_download(
    engine: Engine, viewer: Viewer, detail: Mapping[str, object], build: Callable[[], bytes]
) -> Callable[[], bytes]:
    """A download button's `data`: builds the file and logs the download (what, which
    locations, how many rows) before handing it over.

    Streamlit calls it when the browser asks for the file, a request of its own apart from the
    click: logged here, no file leaves unlogged, whatever a client does with the button.
    """

    def build_and_record() -> bytes:
        data = build()
        audit.record(engine, email=viewer.email, action=audit.DOWNLOAD, detail=detail)
        return data

    return build_and_record
