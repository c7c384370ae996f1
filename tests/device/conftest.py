"""Fixtures of the simulator's tests: one simulator loop and one fake Central System per module."""

from __future__ import annotations

import itertools

import pytest

from device.harness import SimulatorThread
from tests.device.fake_central import Central

_ids = itertools.count(1)


@pytest.fixture(scope="module")
def harness():
    h = SimulatorThread(default_timeout=10)
    yield h
    h.stop()


@pytest.fixture(scope="module")
def central(harness):
    central = Central(harness)
    yield central
    harness.call(central.server.close)


@pytest.fixture
def make_charger(harness, central):
    """make_charger(**SimulatedCharger options) -> a connected, booted charger; at the end none of its
    payloads may have been refused by the server, and it disconnects."""
    made = []

    def make(**options):
        c = harness.add(f"CP-{next(_ids)}", central.url, password="secret", **options)
        made.append(c)
        assert c.connect() == "Accepted"
        return c
    yield make
    for c in made:
        errors = [(action, resp) for action, _, resp in c.sent if resp and "error" in resp]
        assert not errors, f"the server refused simulator payloads: {errors}"
        c.disconnect()
