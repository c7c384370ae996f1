"""/metrics in prometheus-client's multiprocess mode under production gunicorn: two gevent workers write
their own files in PROMETHEUS_MULTIPROC_DIR and whichever worker answers the scrape sums all of them; a
worker that dies stops counting its sockets (gunicorn.conf.py child_exit)."""
import os
import signal
import time

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.cluster.conftest import Node
from tests.cluster.raw_charger import RawCharger
from webapp.extensions import db

TOKEN = "scrape-token-" + "m" * 32
CHARGERS = 8


@pytest.fixture
def node(cluster_env, cluster_app, artifacts, tmp_path, factory):
    station = factory.station(name="Metrics Station")
    for n in range(CHARGERS):
        factory.charger(station=station, cp_id=f"MP-{n}", connectors=1, password=f"MP-{n}-pass", online=False,
                        status="Unavailable", heartbeat_interval=30, supports_reservation=False)
    db.session.commit()
    metrics_dir = tmp_path / "prom"
    metrics_dir.mkdir()
    (metrics_dir / "counter_99999.db").write_bytes(b"stale")  # a previous run's file: removed at start
    env = {**cluster_env, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), "METRICS_TOKEN": TOKEN}
    node = Node("node-metrics", env, artifacts, workers=2)
    node.metrics_dir = metrics_dir
    try:
        yield _up(node)
    finally:
        node.stop()


def _up(node, timeout=30):
    """Serving HTTP (/readyz would also want an RQ worker, which this test does not need)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert node.proc.poll() is None, f"{node.name} exited: see {node.log.name}"
        try:
            if requests.get(node.url + "/healthz", timeout=1).status_code == 200:
                return node
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{node.name} not up in {timeout} s")


def scrape(node) -> dict:
    response = requests.get(node.url + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert response.status_code == 200, response.text[:300]
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}


def connected(samples) -> float:
    return samples.get(("chargeway_chargers_connected", ()), 0.0)


def boots(samples) -> float:
    return samples.get(("chargeway_ocpp_messages_total",
                        (("action", "BootNotification"), ("outcome", "CALLRESULT"))), 0.0)


def worker_pids(node) -> set[int]:
    return {int(name.rsplit("_", 1)[1].split(".")[0]) for name in os.listdir(node.metrics_dir)
            if name.endswith(".db")}


def test_every_scrape_sums_both_workers(node):
    assert requests.get(node.url + "/metrics", timeout=5).status_code == 404  # a token is set
    assert 99999 not in worker_pids(node)
    chargers = []
    try:
        # New connections until both workers hold some (gevent workers race for accept()).
        for n in range(CHARGERS):
            charger = RawCharger(node.ws_url, f"MP-{n}", password=f"MP-{n}-pass")
            assert charger.boot() == "Accepted"
            chargers.append(charger)
        assert len(worker_pids(node)) == 2
        for _ in range(6):  # each scrape may land on either worker: every one sees the sum
            samples = scrape(node)
            assert connected(samples) == CHARGERS
            assert boots(samples) == CHARGERS
        per_worker = _sockets_per_worker(node)
        assert sum(per_worker.values()) == CHARGERS
        victim = max(per_worker, key=per_worker.get)
        os.kill(victim, signal.SIGKILL)  # gunicorn starts a new worker; child_exit marks the old one dead
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                samples = scrape(node)
            except requests.RequestException:
                samples = {}
            if samples and connected(samples) == CHARGERS - per_worker[victim]:
                break
            time.sleep(0.3)
        assert connected(samples) == CHARGERS - per_worker[victim]
        assert boots(samples) == CHARGERS  # counters of the dead worker still count
    finally:
        for charger in chargers:
            charger.close()


def _sockets_per_worker(node) -> dict[int, int]:
    """pid -> sockets held, read from each worker's own gauge file (what the collector sums)."""
    from prometheus_client.mmap_dict import MmapedDict

    held = {}
    for name in os.listdir(node.metrics_dir):
        if name.startswith("gauge_livesum_"):
            pid = int(name.rsplit("_", 1)[1].split(".")[0])
            values = MmapedDict.read_all_values_from_file(str(node.metrics_dir / name))
            held[pid] = int(sum(v for key, v, *_ in values if '"chargeway_chargers_connected"' in key))
    return held
