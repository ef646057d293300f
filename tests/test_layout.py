"""The suite's own layout: what tests share lives in tests/support or a conftest, never in a test module.

A test module imported by another runs its tests and fixtures twice over and ties the two together;
a helper copied instead drifts apart. So no file of the suite imports a test module.
"""

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def is_test_module(name: str) -> bool:
    return name.split(".")[0] == "tests" and name.rsplit(".", 1)[-1].startswith("test_")


def imported(source: str, module: str) -> set[str]:
    """The modules `source` (the text of `module`) imports, with relative imports made absolute."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            package = module.split(".")[: -node.level] if node.level else []
            base = ".".join([*package, *([node.module] if node.module else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)  # `from tests.x import test_y`
    return found


def imported_test_modules(source: str, module: str) -> set[str]:
    return {name for name in imported(source, module) if is_test_module(name)}


def test_no_file_of_the_suite_imports_a_test_module():
    offenders = {}
    for path in sorted(TESTS.rglob("*.py")):
        module = ".".join(path.relative_to(TESTS.parent).with_suffix("").parts)
        found = imported_test_modules(path.read_text(encoding="utf-8"), module)
        if found:
            offenders[str(path.relative_to(TESTS.parent))] = sorted(found)
    assert offenders == {}, "move what they share to tests/support or a conftest"


def test_the_check_sees_each_way_of_importing_a_test_module():
    module = "tests.orders.test_here"
    assert imported_test_modules("from tests.catalog.test_csv import upload", module) == {
        "tests.catalog.test_csv"
    }
    assert imported_test_modules("import tests.catalog.test_csv", module) == {"tests.catalog.test_csv"}
    assert imported_test_modules("from tests.catalog import test_csv", module) == {"tests.catalog.test_csv"}
    assert imported_test_modules("from .test_admin import page", module) == {"tests.orders.test_admin"}
    assert imported_test_modules("from ..catalog.test_csv import upload", module) == {
        "tests.catalog.test_csv"
    }
    assert imported_test_modules("from tests.support.pages import page\nimport pytest", module) == set()
