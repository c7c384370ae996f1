"""Every setting in webapp/config.py is read from the environment and has a row in the README's settings table
(under the name it is read by); both files are parsed, so a new setting without a row fails here."""
import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: Framework constants fixed in the code on purpose: no environment may turn them off.
FIXED = {"SQLALCHEMY_ENGINE_OPTIONS", "WTF_CSRF_TIME_LIMIT", "SESSION_COOKIE_SAMESITE", "REMEMBER_COOKIE_SAMESITE",
         "SESSION_COOKIE_HTTPONLY", "REMEMBER_COOKIE_HTTPONLY", "RATELIMIT_ENABLED"}
READERS = {"_int", "_bool"}  # config.py's helpers; both take the variable's name first, as os.environ.get does


def _env_names(node) -> list[str]:
    """The environment variables an expression reads: os.environ.get("X", ...), _int("X", ...), _bool("X", ...)."""
    names = []
    for call in ast.walk(node):
        if not (isinstance(call, ast.Call) and call.args and isinstance(call.args[0], ast.Constant)):
            continue
        func = call.func
        if (isinstance(func, ast.Name) and func.id in READERS) or (
                isinstance(func, ast.Attribute) and func.attr == "get"
                and isinstance(func.value, ast.Attribute) and func.value.attr == "environ"):
            names.append(call.args[0].value)
    return names


def _settings() -> dict[str, list[str]]:
    """Each setting of the deployed configs (Config and its production/development subclasses, not TestConfig)
    with the variables it is read from; a setting assigned from another setting counts as read from its variables."""
    tree = ast.parse((ROOT / "webapp" / "config.py").read_text())
    settings: dict[str, list[str]] = {}
    for cls in tree.body:
        if not isinstance(cls, ast.ClassDef) or cls.name == "TestConfig":
            continue
        for statement in cls.body:
            if isinstance(statement, (ast.Assign, ast.AnnAssign)):
                target = statement.targets[0] if isinstance(statement, ast.Assign) else statement.target
                names = _env_names(statement.value)
                if isinstance(statement.value, ast.Name):  # REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
                    names = settings.get(statement.value.id, [])
                settings.setdefault(target.id, []).extend(names)
    return settings


def _readme_variables() -> set[str]:
    """The variables named in the first column of the README's settings table ("`A` / `B`" rows name several)."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    return {name for cell in rows for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", cell)}


def test_every_setting_is_read_from_the_environment_and_in_the_readme_table():
    settings, documented = _settings(), _readme_variables()
    assert len(settings) > 50 and len(documented) > 50  # both files were found and parsed
    not_from_env = sorted(key for key, names in settings.items() if not names and key not in FIXED)
    undocumented = sorted({name for names in settings.values() for name in names} - documented)
    assert not_from_env == [], "settings not read from the environment (or add them to FIXED, saying why)"
    assert undocumented == [], "variables read by webapp/config.py without a row in the README's settings table"
    assert FIXED <= settings.keys(), "FIXED names a setting config.py no longer has"
