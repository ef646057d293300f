"""No import hides inside a function to reach another app (docs/architecture.md, the layers).

import-linter (`lint-imports`, run by bin/test) holds the layers themselves, wherever an import
stands. This holds the other half: an import put inside a function to dodge a cycle at load time
is a sign the layers are wrong, so a new one fails here. `AppConfig.ready()` is not such a place:
it is where Django has an app connect to the others once all are loaded.

`DEBTS` are those that stand today (none: the approval workflow, the last, moved to orders): each one goes when its code moves to where it belongs, and the
list only shrinks (an entry no longer found fails too, so that it is struck).
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (importing module, imported module): each would be code in the wrong app, named by where it belongs.
DEBTS: set[tuple[str, str]] = set()


def project_apps() -> set[str]:
    """The project's own packages whose imports are held: every app, and config."""
    return {path.parent.name for path in ROOT.glob("*/apps.py")} | {"config"}


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_in_functions(source: str, module: str) -> set[str]:
    """The modules `source` (the text of `module`) imports inside a function, `ready()` methods aside."""
    found = set()

    def visit(node, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, child.name != "ready" or in_function)
                continue
            if in_function and isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names)
            elif in_function and isinstance(child, ast.ImportFrom):
                package = module.split(".")[: -child.level] if child.level else []
                found.add(".".join([*package, *([child.module] if child.module else [])]))
            visit(child, in_function)

    visit(ast.parse(source), False)
    return found


def cross_app_imports_in_functions(root: Path, apps: set[str]) -> set[tuple[str, str]]:
    found = set()
    for app in sorted(apps):
        for path in sorted((root / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            module = module_name(path, root)
            for imported in imported_in_functions(path.read_text(encoding="utf-8"), module):
                target = imported.split(".")[0]
                if target in apps and target != app:
                    found.add((module, imported))
    return found


def test_no_new_import_inside_a_function_reaches_another_app():
    found = cross_app_imports_in_functions(ROOT, project_apps())
    assert sorted(found - DEBTS) == [], "import it at the top, from a lower layer, or publish an event"
    assert sorted(DEBTS - found) == [], "paid: strike it from DEBTS"


def test_the_check_sees_imports_in_functions_and_methods_but_not_at_the_top_or_in_ready():
    source = """
from orders.models import Order

def place():
    from orders.services import intake_receive

class Admin:
    def view(self):
        if True:
            from .selectors import rows
        def inner():
            import insight.services

class Config:
    def ready(self):
        from orders import signals
"""
    assert imported_in_functions(source, "connectors.api") == {
        "orders.services",
        "connectors.selectors",
        "insight.services",
    }


def test_a_new_upward_import_in_a_function_fails(tmp_path):
    (tmp_path / "kit").mkdir()
    (tmp_path / "kit" / "text.py").write_text("def f():\n    from orders.models import Order\n")
    (tmp_path / "orders").mkdir()
    (tmp_path / "orders" / "models.py").write_text("")
    assert cross_app_imports_in_functions(tmp_path, {"kit", "orders"}) == {("kit.text", "orders.models")}
