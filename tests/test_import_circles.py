"""No module of the app imports a module that imports it back, however indirectly.

Every `import` and `from ... import` counts, lazy ones inside functions included: a circle is
a helper living in the wrong place (move it down), whether Python notices at import time or not.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("data", "queries", "dashboard", "reports")


def _modules(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the packages under `root`."""
    found = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _imported(tree: ast.AST, name: str, is_package: bool, modules: dict[str, Path]) -> set[str]:
    """The modules (of `modules`) that the module `name` imports anywhere in its code."""
    here = name.split(".") if is_package else name.split(".")[:-1]
    targets: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = here[: len(here) - node.level + 1] if node.level else []
            stem = ".".join([*base, *(node.module or "").split(".")]).strip(".")
            # `from a.b import c` imports a.b, and a.b.c too when c is a module.
            candidates = [stem, *(f"{stem}.{alias.name}" for alias in node.names)]
        else:
            continue
        for candidate in candidates:
            # `import a.b.c` runs a, a.b and a.b.c: each is imported.
            parts = candidate.split(".")
            for end in range(1, len(parts) + 1):
                module = ".".join(parts[:end])
                if module in modules and module != name:
                    targets.add(module)
    return targets


def import_graph(root: Path) -> dict[str, set[str]]:
    modules = _modules(root)
    graph = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        graph[name] = _imported(tree, name, path.name == "__init__.py", modules)
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One path per circle found: a module, the modules it imports on the way, and itself again."""
    found, done = [], set()
    for start in sorted(graph):
        # Depth-first from `start`, looking for a way back to it through modules not yet done.
        stack = [(start, [start])]
        seen = {start}
        while stack:
            module, path = stack.pop()
            for target in sorted(graph[module]):
                if target == start:
                    found.append([*path, start])
                    stack = []
                    break
                if target not in seen and target not in done:
                    seen.add(target)
                    stack.append((target, [*path, target]))
        done.add(start)
    return found


def test_no_module_imports_one_that_imports_it_back():
    found = [" -> ".join(circle) for circle in circles(import_graph(ROOT))]
    assert found == []


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_a_lazy_import_back_is_a_circle(tmp_path):
    _write(
        tmp_path,
        {
            "data/__init__.py": "",
            "data/one.py": "from data.two import helper\n",
            "data/two.py": "def helper():\n    from data.one import thing\n    return thing\n",
            "queries/__init__.py": "",
            "dashboard/__init__.py": "",
        },
    )
    assert circles(import_graph(tmp_path)) == [["data.one", "data.two", "data.one"]]


def test_a_circle_through_three_modules_and_a_package_import_are_found(tmp_path):
    _write(
        tmp_path,
        {
            "data/__init__.py": "",
            "data/one.py": "import queries.two\n",
            "queries/__init__.py": "",
            "queries/two.py": "from dashboard import three\n",
            "dashboard/__init__.py": "",
            "dashboard/three.py": "from ..data import one\n",
        },
    )
    assert circles(import_graph(tmp_path))[0] == [
        "dashboard.three",
        "data.one",
        "queries.two",
        "dashboard.three",
    ]


def test_imports_one_way_are_no_circle(tmp_path):
    _write(
        tmp_path,
        {
            "data/__init__.py": "",
            "data/low.py": "import json\n",
            "data/high.py": "from data.low import x\nfrom data import low\n",
            "queries/__init__.py": "from data.high import y\n",
            "dashboard/__init__.py": "",
        },
    )
    assert circles(import_graph(tmp_path)) == []
