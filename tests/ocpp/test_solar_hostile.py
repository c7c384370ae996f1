"""Point 7 of issue 12: a solar DataTransfer of 1e308 or Infinity is rejected as out of range, and the
console's analytics (which sums solar energy) still renders for everyone."""
import json

import pytest

from tests.admin.conftest import client_as
from tests.conftest import release_db
from webapp.extensions import db
from webapp.models import SolarSample


@pytest.mark.parametrize("kw", ["1e308", "Infinity", "-Infinity", "NaN", "1e6", '"lots"'])
def test_hostile_solar_reports_are_rejected_and_analytics_survives(raw, make_charger, factory, app, kw):
    password = make_charger("SOLAR-1")
    client = raw("SOLAR-1", password)
    assert client.boot()["status"] == "Accepted"
    data = '{"kw": %s, "timestamp": "2026-06-01T12:00:00Z"}' % kw
    answer = client.call("DataTransfer", {"vendorId": "Chargeway", "messageId": "SolarProduction", "data": data})
    assert answer[0] == 3 and answer[2]["status"] == "Rejected", answer
    if kw != '"lots"':  # a number out of range is told so
        assert json.loads(answer[2]["data"])["error"].startswith("kw out of range")
    good = client.call("DataTransfer", {"vendorId": "Chargeway", "messageId": "SolarProduction",
                                        "data": '{"kw": 7.5, "timestamp": "2026-06-01T12:01:00Z"}'})
    assert good[2]["status"] == "Accepted"
    release_db()
    assert [s.kw for s in db.session.execute(db.select(SolarSample)).scalars()] == [7.5]
    admin = factory.user("admin")
    response = client_as(app, admin).get("/admin/analytics?days=365")
    assert response.status_code == 200
