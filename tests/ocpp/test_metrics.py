"""/metrics after real OCPP traffic over a real WebSocket (the simulator against the live server), who may
read it, and the request id / charger id in the JSON log lines."""
import json
import logging

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import release_db, wait_until
from webapp.extensions import db
from webapp.logs import JsonFormatter
from webapp.services.fleet import chargers
from webapp.services.platform import commands

from .conftest import RawCharger


def scrape(url, **headers) -> dict:
    """{(sample name, sorted labels): value} of one /metrics scrape."""
    release_db()
    response = requests.get(url + "/metrics", headers=headers, timeout=5)
    assert response.status_code == 200, response.text[:300]
    assert response.headers["Content-Type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def total(samples, name, **labels) -> float:
    """Sum over every series of `name` whose labels include `labels`."""
    return sum(v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= set(ls))


@pytest.fixture
def app_overrides(app_overrides):
    # Buffered writes, as in production (the test default writes each one at once, with no flusher).
    return {**app_overrides, "OCPP_LOG_FLUSH_SECONDS": 0.2, "LAST_SEEN_WRITE_SECONDS": 1}


@pytest.fixture
def charger(live_server, make_charger, sim):
    password = make_charger("SIM-METRICS-1")
    c = sim.add("SIM-METRICS-1", live_server.ws_url, password=password, connectors=2, heartbeat_interval=1)
    return c


def test_counters_move_with_real_ocpp_traffic(live_server, charger, make_charger):
    before = scrape(live_server.url)
    assert charger.connect() == "Accepted"
    charger.wait_sent("Heartbeat", timeout=5)
    wait_until(lambda: all(k.status == "Available" for k in _fresh("SIM-METRICS-1").connectors))
    assert commands.unlock("SIM-METRICS-1", 1) is True
    release_db()
    raw = RawCharger(live_server.ws_url, "RAW-METRICS-1", password=make_charger("RAW-METRICS-1"))
    refused = raw.call("BootNotification", {"chargePointVendor": "X"})  # chargePointModel missing
    assert refused[0] == 4
    assert raw.call("NoSuchAction", {})[:3] == [4, "2", "NotImplemented"]  # counted as "other"
    after = scrape(live_server.url)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("chargeway_chargers_connected") == 2  # the simulator and the raw socket
    assert delta("chargeway_ocpp_messages_total", action="BootNotification", outcome="CALLRESULT") == 1
    assert delta("chargeway_ocpp_messages_total", action="Heartbeat", outcome="CALLRESULT") >= 1
    assert delta("chargeway_ocpp_messages_total", action="StatusNotification", outcome="CALLRESULT") >= 3
    assert delta("chargeway_ocpp_messages_total", action="BootNotification", outcome=refused[2]) == 1
    assert delta("chargeway_ocpp_messages_total", action="other", outcome="NotImplemented") == 1
    assert delta("chargeway_ocpp_command_seconds_count", action="UnlockConnector", outcome="answered") == 1
    assert delta("chargeway_ocpp_command_seconds_sum", action="UnlockConnector", outcome="answered") > 0
    assert total(after, "chargeway_writebehind_flush_seconds_count") > \
        total(before, "chargeway_writebehind_flush_seconds_count")  # the OCPP log and last seen were written
    assert ("chargeway_writebehind_queue_depth", (("queue", "ocpp-log"),)) in after
    assert ("chargeway_db_connections_in_use", ()) in after
    assert delta("chargeway_http_request_seconds_count", endpoint="observe.scrape", method="GET",
                 status="2xx") == 0  # /metrics does not time itself
    raw.ws.close()
    charger.disconnect()
    wait_until(lambda: value(scrape(live_server.url), "chargeway_chargers_connected")
               == value(before, "chargeway_chargers_connected"), message="sockets counted back down")


def test_http_latency_by_endpoint(live_server):
    before = scrape(live_server.url)
    assert requests.get(live_server.url + "/healthz", timeout=5).status_code == 200
    assert requests.get(live_server.url + "/no-such-page", timeout=5).status_code == 404
    after = scrape(live_server.url)
    for labels in ({"endpoint": "ops.healthz", "method": "GET", "status": "2xx"},
                   {"endpoint": "unmatched", "method": "GET", "status": "4xx"}):
        assert value(after, "chargeway_http_request_seconds_count", **labels) == \
            value(before, "chargeway_http_request_seconds_count", **labels) + 1


def test_metrics_are_not_public(app, client):
    assert client.get("/metrics").status_code == 200  # the test client is 127.0.0.1
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 404
    # A reverse proxy on the same host: the socket is loopback, the client is not.
    assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 404
    app.config["METRICS_TOKEN"] = "scrape-" + "t" * 32
    assert client.get("/metrics").status_code == 404  # a token is set: loopback alone is not enough
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer scrape-" + "t" * 32},
                      environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 200


@pytest.fixture
def json_lines():
    """The JSON lines every log record would produce while the test runs."""
    lines: list[dict] = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(json.loads(JsonFormatter().format(record)))

    handler = Collect(level=logging.INFO)
    root = logging.getLogger()
    root.addHandler(handler)
    old_level, root.level = root.level, logging.INFO
    yield lines
    root.removeHandler(handler)
    root.setLevel(old_level)


def test_request_id_is_kept_or_made_and_logged(app, json_lines):
    @app.route("/_log_probe")
    def probe():
        logging.getLogger("webapp.probe").warning("probe")
        return "ok"

    client = app.test_client()
    kept = client.get("/healthz", headers={"X-Request-ID": "lb-4f2a9c1d-77"})
    assert kept.headers["X-Request-ID"] == "lb-4f2a9c1d-77"
    made = client.get("/healthz", headers={"X-Request-ID": "evil\" id with spaces and {json}"})
    assert made.headers["X-Request-ID"] != "evil\" id with spaces and {json}"
    assert len(made.headers["X-Request-ID"]) == 32
    assert client.get("/healthz").headers["X-Request-ID"] != made.headers["X-Request-ID"]
    client.get("/_log_probe", headers={"X-Request-ID": "probe-request-0001"})
    line = next(entry for entry in json_lines if entry["msg"] == "probe")
    assert line["request_id"] == "probe-request-0001" and "charger_id" not in line


def test_ocpp_log_lines_carry_the_charger_id(live_server, make_charger, json_lines):
    raw = RawCharger(live_server.ws_url, "RAW-LOG-1", password=make_charger("RAW-LOG-1"))
    raw.call("Heartbeat", {})
    raw.send_raw('[3, "no-such-call", {}]')  # an answer to nothing: a warning on this charger's socket
    raw.ws.close()
    wait_until(lambda: any(e.get("charger_id") == "RAW-LOG-1" for e in json_lines), timeout=5,
               message="a log line of RAW-LOG-1's socket")
    line = next(e for e in json_lines if e.get("charger_id") == "RAW-LOG-1")
    assert len(line["request_id"]) == 32  # the WebSocket upgrade's request


def _fresh(cp_id):
    db.session.rollback()
    return chargers.get_by_cp_id(cp_id)
