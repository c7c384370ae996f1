"""Point 10 of issue 12: the full dependency tree is locked with hashes, and the locks agree with the
direct pins in requirements*.txt (a pin changed without `make lock` fails here)."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENTRY = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)", re.M)


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            pins |= _pins(path.parent / line[3:].strip())
        elif "==" in line:
            name, version = line.split("==", 1)
            pins[_norm(name.split("[", 1)[0])] = version.strip()
    return pins


def _locked(path: Path) -> dict[str, tuple[str, int]]:
    """name -> (version, number of sha256 hashes) for every entry of a pip-compile lock."""
    text = path.read_text()
    out = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        match = ENTRY.match(block)
        if match:
            out[_norm(match.group(1))] = (match.group(2), len(re.findall(r"--hash=sha256:[0-9a-f]{64}", block)))
    return out


@pytest.mark.parametrize("requirements, lock", [("requirements.txt", "requirements.lock"),
                                                ("requirements-dev.txt", "requirements-dev.lock")])
def test_lock_has_every_direct_pin_and_a_hash_for_everything(requirements, lock):
    pins, locked = _pins(ROOT / requirements), _locked(ROOT / lock)
    assert len(locked) > len(pins), "the lock holds the whole tree, not only the direct pins"
    wrong = {name: (version, locked.get(name, ("missing",))[0]) for name, version in pins.items()
             if locked.get(name, (None,))[0] != version}
    assert not wrong, f"{lock} disagrees with {requirements} (run `make lock`): {wrong}"
    unhashed = [name for name, (_, hashes) in locked.items() if hashes == 0]
    assert not unhashed, f"entries without hashes in {lock}: {unhashed}"
    assert "--find-links" not in (ROOT / lock).read_text() and "--index-url" not in (ROOT / lock).read_text()


def test_runtime_lock_is_inside_the_dev_lock():
    """Tests run what production runs: every runtime package at the same version in both locks."""
    runtime, dev = _locked(ROOT / "requirements.lock"), _locked(ROOT / "requirements-dev.lock")
    assert {n: v for n, (v, _) in runtime.items() if dev.get(n, (None,))[0] != v} == {}
