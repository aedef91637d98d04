"""Imports point downward: the module-level imports between the app's modules form no cycle (receivers are
connected in `PlansConfig.ready()`, choices live in their own module), so any module can be imported first."""

import ast
from graphlib import CycleError, TopologicalSorter

from tests.conftest import REPO


def _module(path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path) -> set[str]:
    """The `plans` modules a file imports at module level (imports inside functions are deliberate, lazy)."""
    found = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "plans":
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] == "plans")
    return found


def test_it_imports_the_app_modules_without_a_cycle():
    files = [p for p in (REPO / "plans").rglob("*.py") if "migrations" not in p.parts]
    modules = {_module(p): p for p in files}
    graph = {
        name: {m for m in _imports(path) if m in modules and m != name} for name, path in modules.items()
    }
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        raise AssertionError(f"import cycle: {' -> '.join(exc.args[1])}") from None
    assert order.index("plans.parts") < order.index("plans.models") < order.index("plans.views")
    assert "plans.search" not in graph["plans.models"]


# The tables that describe the app as it is now. Django's own references to a field class or validator
# (plans.uploads.UploadField, plans.models.validate_source_file) are another matter: they stay importable.
LIVE_TABLES = ("plans.catalogue", "plans.parts", "plans.workflow")


def test_it_keeps_migrations_off_the_live_tables():
    """A migration must mean the same when the forms or the parts table change shape later: it freezes the
    lists it needs instead of importing them."""
    imported = {
        path.name: sorted(m for m in _imports(path) if m.startswith(LIVE_TABLES))
        for path in (REPO / "plans" / "migrations").glob("0*.py")
    }
    assert {name: found for name, found in imported.items() if found} == {}
