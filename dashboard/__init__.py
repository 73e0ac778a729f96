"""The Streamlit app.

Streamlit puts this folder first on `sys.path` for every script run, where `dashboard/data.py`
would hide the project's top-level `data` package (importer, demo generator). Importing that
package once, from the project root, makes `import data.load` find it from then on (a package's
submodules are looked up on its own `__path__`, not on `sys.path`).
"""

import importlib
import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
if not hasattr(sys.modules.get("data"), "__path__"):
    sys.modules.pop("data", None)
    _saved = sys.path[:]
    sys.path[:] = [str(_HERE.parent)] + [p for p in _saved if Path(p or ".").resolve() != _HERE]
    try:
        importlib.import_module("data")
    finally:
        sys.path[:] = _saved
