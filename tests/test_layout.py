"""Where test code lives: conftest.py files hold fixtures, helpers live in tests/support/ and are
imported from there, and the tools that run the platform (harness/) are shared by tests, bench/
and drills/ without those importing from tests/."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent


def imported_modules(path: Path) -> list[str]:
    """Every module that `path` imports, `from a.b import c` counted as a.b and a.b.c."""
    modules = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.append(node.module)
            modules += [f"{node.module}.{alias.name}" for alias in node.names]
    return modules


def python_files(*folders: Path) -> list[Path]:
    return sorted(path for folder in folders for path in folder.rglob("*.py"))


def test_no_test_code_imports_a_conftest_or_a_test_module():
    offending = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in python_files(TESTS)
        for module in imported_modules(path)
        if module.startswith("tests.")
        and module.rsplit(".", 1)[-1].startswith(("conftest", "test_"))
    ]
    assert offending == [], "import helpers from tests/support/ instead"


def test_bench_drills_and_harness_do_not_import_from_tests():
    offending = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in python_files(ROOT / "bench", ROOT / "drills", ROOT / "harness")
        for module in imported_modules(path)
        if module == "tests" or module.startswith("tests.")
    ]
    assert offending == [], "what they share with the tests belongs in harness/"


def test_test_folders_hold_only_tests_and_fixtures():
    helpers = [
        str(path.relative_to(ROOT))
        for path in python_files(TESTS)
        if path.parent != TESTS / "support"
        and path.name not in ("conftest.py", "__init__.py")
        and not path.name.startswith("test_")
    ]
    assert helpers == [], "helper modules belong in tests/support/"
