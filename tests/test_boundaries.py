"""Static checks over the source (ast, no import): the simulator in device/ and the server in webapp/
never import each other (the simulator stays an independent charger), and no docstring cites the seed
documents the project started from (the code says what it does, not which brief asked for it)."""
import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("webapp", "device", "jobs", "bench", "scripts", "migrations", "tests", "wsgi.py")
#: "seed 002", "Seed 002's", "the seeds' shapes", "the seed documents"; not seeding demo data ("flask
#: seed-demo", "Seed demo stations", "we seed it with bulk INSERTs").
SEED = re.compile(r"\bseeds?\s*\d+|\bseeds'|\bthe\s+seeds?\b(?!\s*-)", re.IGNORECASE)


def python_files(*roots: str) -> list[Path]:
    files = []
    for root in roots:
        path = ROOT / root
        files.extend([path] if path.is_file() else sorted(path.rglob("*.py")))
    return files


def imported_packages(path: Path) -> set[str]:
    """Top-level names this file imports, relative imports resolved against its package."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    own = path.relative_to(ROOT).parts[0]
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add(own if node.level else (node.module or "").split(".")[0])
    return names


@pytest.mark.parametrize("package, forbidden", [("device", "webapp"), ("webapp", "device")])
def test_device_and_webapp_do_not_import_each_other(package, forbidden):
    offenders = [str(p.relative_to(ROOT)) for p in python_files(package) if forbidden in imported_packages(p)]
    assert offenders == [], f"{package}/ imports {forbidden}/ in {offenders}"


def docstrings(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            text = ast.get_docstring(node, clean=False)
            if text:
                yield getattr(node, "lineno", 1), text


def test_no_docstring_cites_the_seed_documents():
    cited = [f"{p.relative_to(ROOT)}:{line}: {SEED.search(text).group(0)!r}"
             for p in python_files(*SOURCES) if p != Path(__file__).resolve()  # this file names the rule
             for line, text in docstrings(p) if SEED.search(text)]
    assert cited == []


def test_the_checks_see_what_they_look_for(tmp_path):
    """The checks would fail: a relative import resolves to its package, a seed citation is found."""
    assert "device" in imported_packages(ROOT / "device" / "charger.py")
    assert SEED.search("Remote start and stop (seed 004)") and SEED.search("Seed 002's statistics")
    assert SEED.search("following the seeds' endpoint shapes") and SEED.search("see the seed documents")
    for fine in ("seeded with bulk INSERTs, a demo-seeding command", "Seed demo stations", "flask seed-demo",
                 "We seed it"):
        assert not SEED.search(fine), fine
