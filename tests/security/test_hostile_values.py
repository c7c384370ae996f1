"""Point 7 of issue 12: hostile values get a 4xx, never a 500, on SQLite and PostgreSQL.

Every GET route (walked from the url_map) gets every query argument the code reads (found in the source,
and the API's declared query parameters) set to each hostile value, and every integer path argument set
to a 20-digit number; as an admin, an operator, a driver (session and Bearer) and anonymously.
"""
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from werkzeug.routing import IntegerConverter

from tests.admin.conftest import client_as
from webapp.extensions import db
from webapp.services.accounts import tokens

pytestmark = pytest.mark.both_dbs

HUGE = "9" * 20
HOSTILE = [HUGE, "-" + HUGE, "1" + "0" * 19, "inf", "-inf", "nan", "Infinity", "1e308", "-1e308", "1e999",
           "A\x00B", "\x00", "9" * 400]
SOURCE = Path(__file__).resolve().parents[2] / "webapp"


def _arg_names(app) -> list[str]:
    """Every query argument the code reads (by hand or through a GET form), plus the API's declared query
    parameters."""
    found = set()
    for path in SOURCE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        found |= set(re.findall(r'request\.args(?:\.get\(|\[)\s*"(\w+)"', text))
        found |= set(re.findall(r'(?:arg_date|int_arg)\("(\w+)"', text))
    found |= _get_form_fields(app)
    from webapp.api.openapi import build

    with app.test_request_context():
        for item in build(app)["paths"].values():
            for op in (o for o in item.values() if isinstance(o, dict)):
                found |= {p["name"] for p in op.get("parameters", []) if p.get("in") == "query"}
    return sorted(found)


def _get_form_fields(app) -> set[str]:
    """The fields of the GET forms that read the query string (the console's list filters, the history tabs)."""
    from webapp.admin.forms.filters import FilterForm
    from webapp.driver.forms import HistoryForm

    classes, todo = set(), [FilterForm, HistoryForm]
    while todo:
        cls = todo.pop()
        classes.add(cls)
        todo.extend(cls.__subclasses__())
    with app.test_request_context():
        return {name for cls in classes for name in cls(formdata=None)._fields}


def _routes(app):
    """(rule, int path arguments) for every GET route but static files and the WebSocket."""
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.endpoint != "static" and not rule.rule.startswith("/ocpp"):
            ints = [name for name, conv in rule._converters.items() if isinstance(conv, IntegerConverter)]
            yield rule, ints


def _url(rule, values: dict) -> str:
    parts = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: quote(str(values.get(m.group(1), "1")), safe=""), rule.rule)
    return parts


@pytest.fixture
def callers(app, factory):
    admin = factory.user("admin")
    operator = factory.user("operator")
    driver = factory.user("driver")
    operator.stations = [factory.charger().station]
    db.session.commit()
    _, access, _ = tokens.issue_for(driver)
    return {"admin": (client_as(app, admin), {}), "operator": (client_as(app, operator), {}),
            "driver": (client_as(app, driver), {"Authorization": f"Bearer {access}"}),
            "anonymous": (client_as(app, None), {})}


@pytest.mark.parametrize("who", ["admin", "operator", "driver", "anonymous"])  # four tests: xdist spreads them
def test_every_get_route_survives_hostile_values(app, callers, who):
    names = _arg_names(app)
    assert {"page", "q", "station_id", "charger", "days", "lat"} <= set(names), names
    failures, tried = [], 0
    client, headers = callers[who]
    for rule, ints in _routes(app):
        urls = [_url(rule, {name: HUGE}) for name in ints]
        for value in HOSTILE:
            query = "&".join(f"{name}={quote(value, safe='')}" for name in names)
            urls.append(f"{_url(rule, {})}?{query}")
        for url in urls:
            tried += 1
            try:  # TESTING propagates a view's exception instead of answering 500
                status = client.get(url, headers=headers).status_code
            except Exception as exc:
                status = f"500 {type(exc).__name__}: {str(exc)[:80]}"
            db.session.rollback()
            if str(status) >= "500":
                failures.append(f"{who} GET {url[:120]} -> {status}")
    assert tried > 1000
    assert not failures, f"{len(failures)} of {tried} requests failed:\n" + "\n".join(failures[:40])
