"""`patient_ref` from a source system's patient id: a keyed hash, so the id itself is never stored.

The key is the deployment's secret: the `PATIENT_REF_KEY` environment variable, else
`patient_ref_key` in `.streamlit/secrets.toml`. Without a key nothing is hashed: a plain hash of
a short id could be reversed by hashing every possible id, a keyed one cannot without the key.
The same key must be kept for good, or the same patient gets a new reference.
"""

import hashlib
import hmac
import os
import tomllib
from pathlib import Path

import pandas as pd

ENV_VAR = "PATIENT_REF_KEY"
SECRETS_KEY = "patient_ref_key"
SECRETS_FILE = Path(__file__).resolve().parent.parent / ".streamlit" / "secrets.toml"
MIN_KEY_CHARS = 16
# 32 hex digits (128 bits): no collision in any clinic group's lifetime, well under the 100
# characters a patient_ref may have.
REF_CHARS = 32


class MissingKey(Exception):
    """No usable key in the settings: a mapping that makes `patient_ref` cannot run."""


def settings_key(secrets_file: Path = SECRETS_FILE) -> bytes:
    """The deployment's key (environment first, then secrets.toml); `MissingKey` without one."""
    key = os.environ.get(ENV_VAR, "")
    where = f"the {ENV_VAR} environment variable"
    if not key and secrets_file.is_file():
        try:
            key = str(tomllib.loads(secrets_file.read_text("utf-8")).get(SECRETS_KEY, ""))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as problem:
            raise MissingKey(f"{secrets_file}: not readable TOML ({problem})") from None
        where = f"{SECRETS_KEY} in {secrets_file.name}"
    if not key:
        raise MissingKey(
            f"patient_ref needs a secret key: set {ENV_VAR} (or {SECRETS_KEY} in "
            ".streamlit/secrets.toml) to a long random string, and keep it for good"
        )
    if len(key) < MIN_KEY_CHARS:
        raise MissingKey(f"{where} is shorter than {MIN_KEY_CHARS} characters: use a longer key")
    return key.encode("utf-8")


def keyed_ref(value: str, key: bytes) -> str:
    """HMAC-SHA256 of one id under `key`, as the first `REF_CHARS` hex digits."""
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:REF_CHARS]


def keyed_refs(ids: pd.Series, key: bytes) -> pd.Series:
    """`keyed_ref` of every present id (missing stays missing); each distinct id hashed once."""
    codes, uniques = pd.factorize(ids, use_na_sentinel=True)
    hashed = [keyed_ref(str(value), key) for value in uniques]
    refs = [hashed[code] if code >= 0 else None for code in codes]
    return pd.Series(refs, index=ids.index, dtype=object)
