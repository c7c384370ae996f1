"""Property-based fuzz over every charger action's OCPP 1.6 schema (issue 11 point 7), over a real socket.

Each example is a schema-shaped CALL with hostile values (integers of any size, NUL and unpaired
surrogates in strings, date-times from year 1 to 9999 with any offset); every one must get a CALLRESULT
that matches the response schema or a CALLERROR with an OCPP-J code other than InternalError, and the
server must log no error. CI runs a fixed seed (derandomize) and FUZZ_EXAMPLES examples per database
(default 150); the longer runs in bench/README.md set FUZZ_EXAMPLES and FUZZ_SEED.
"""
import logging
import os
from collections import Counter
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, seed, settings, strategies as st

from webapp.ocpp.schemas import CHARGER_ACTIONS, _schema, validate_result

pytestmark = pytest.mark.both_dbs

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 150))
SEED = os.environ.get("FUZZ_SEED")  # unset: hypothesis's fixed derandomized seed, as in CI
OCPP_J_CODES = {"NotImplemented", "NotSupported", "ProtocolError", "SecurityError", "FormationViolation",
                "PropertyConstraintViolation", "OccurenceConstraintViolation", "TypeConstraintViolation",
                "GenericError"}  # InternalError is what a traceback becomes: never allowed here

_HOSTILE_CHARS = st.sampled_from(["\x00", "\ud800", "\udfff", "\ud83d", "\u20ac", "'", '"', "\\", "\n"])
_CHARS = st.one_of(st.characters(exclude_categories=()), _HOSTILE_CHARS)
_INTS = st.one_of(st.sampled_from([0, 1, 2, -1, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 2 ** 63]),
                  st.integers(min_value=-(2 ** 70), max_value=2 ** 70))
_OFFSETS = st.sampled_from(["Z", "+00:00", "-01:00", "+14:00", "-12:00", "+05:30", ""])


@st.composite
def _datetimes(draw):
    if draw(st.integers(0, 9)) == 0:
        return draw(st.text(_CHARS, max_size=30))
    when = draw(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)))
    text = when.isoformat(timespec=draw(st.sampled_from(["seconds", "milliseconds", "microseconds"])))
    return text + draw(_OFFSETS)


def _from_schema(node: dict):
    if "enum" in node:
        return st.sampled_from(node["enum"])
    kind = node.get("type")
    if kind == "object":
        props = node.get("properties", {})
        required = set(node.get("required", ()))
        return st.fixed_dictionaries({k: _from_schema(v) for k, v in props.items() if k in required},
                                     optional={k: _from_schema(v) for k, v in props.items() if k not in required})
    if kind == "array":
        return st.lists(_from_schema(node["items"]), min_size=node.get("minItems", 0),
                        max_size=max(node.get("minItems", 0), 3))
    if kind == "string":
        if node.get("format") == "date-time":
            return _datetimes()
        return st.text(_CHARS, max_size=min(node.get("maxLength", 200), 200))
    if kind == "integer":
        return _INTS
    if kind == "number":
        return st.one_of(_INTS, st.floats(allow_nan=False, allow_infinity=False))
    if kind == "boolean":
        return st.booleans()
    raise AssertionError(f"schema node not covered: {node}")


CALLS = st.one_of(*[st.tuples(st.just(action), _from_schema(_schema(action))) for action in sorted(CHARGER_ACTIONS)])


class _Errors(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def app_overrides(app_overrides):
    """The OCPP tests' fast settings, but slow WebSocket pings: a CPU-starved run (parallel workers on two
    cores) could miss a 2 s pong mid-fuzz, and presence is not what this test is about."""
    return {**app_overrides, "OCPP_PING_INTERVAL": 60}


@pytest.fixture
def server_errors():
    handler = _Errors()
    logging.getLogger("webapp").addHandler(handler)
    yield handler.records
    logging.getLogger("webapp").removeHandler(handler)


def test_every_schema_shaped_call_gets_a_spec_answer(raw, make_charger, server_errors):
    client = raw("CP-FUZZ", make_charger("CP-FUZZ"))
    client.boot()
    answered = {"result": 0, "error": 0}
    codes = Counter()

    @settings(max_examples=EXAMPLES, derandomize=SEED is None, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(CALLS)
    def check(call):
        action, payload = call
        server_errors.clear()
        answer = client.call(action, payload, unique_id="fz")
        assert answer[1] == "fz", answer
        if answer[0] == 3:
            validate_result(action, answer[2])
            answered["result"] += 1
            codes[f"{action}:CALLRESULT"] += 1
        else:
            assert answer[0] == 4 and answer[2] in OCPP_J_CODES, answer
            answered["error"] += 1
            codes[f"{action}:{answer[2]}"] += 1
        assert not server_errors, [r.getMessage() for r in server_errors]

    if SEED is not None:
        check = seed(int(SEED))(check)
    check()
    print(f"\nfuzz: {answered} {sorted(codes.items())}")  # shown with -s: the figures in bench/README.md
    assert answered["result"] > EXAMPLES // 4  # the generator reaches the handlers, not just the validator
