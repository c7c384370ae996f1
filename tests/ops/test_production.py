"""Production settings refuse default secrets, a missing Redis and an unnamed payment gateway; health and
readiness endpoints answer."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REDIS_URL as WORKER_REDIS_URL
from webapp import create_app
from webapp.config import ProductionConfig


@pytest.mark.parametrize("secret, qr", [(None, "q" * 40), ("change-me-please-now", "q" * 40),
                                        ("s" * 40, None), ("short", "q" * 40)])
def test_production_refuses_missing_or_default_secrets(monkeypatch, secret, qr):
    class Prod(ProductionConfig):
        SECRET_KEY = secret
        QR_SIGNING_KEY = qr
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    with pytest.raises(RuntimeError, match="must be set to a real secret"):
        create_app(Prod)


class RealProd(ProductionConfig):
    """Everything production needs (nothing is contacted at start-up)."""

    SECRET_KEY = "dwTRA_jsKIhlz3JAuK_P8PhJOAsQgO9NrXW9bmYd-id38eb8"
    QR_SIGNING_KEY = "t35LfYhMMg6jP8jdkaWiDc-lO6D1h4tqZINMn4hqVId7Xjnf"
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    REDIS_URL = WORKER_REDIS_URL
    PAYMENT_GATEWAY = "simulated"


def test_production_starts_with_real_secrets_redis_and_a_named_gateway():
    app = create_app(RealProd)
    assert app.config["PRODUCTION"] and app.config["SESSION_COOKIE_SECURE"]


@pytest.mark.parametrize("redis_url", [None, ""])
def test_production_refuses_to_start_without_redis(redis_url):
    """Without Redis no RQ worker runs the timers: holds, graces, quota stops and reservations would never fire."""
    prod = type("Prod", (RealProd,), {"REDIS_URL": redis_url})
    with pytest.raises(RuntimeError, match="REDIS_URL must be set in production"):
        create_app(prod)


@pytest.mark.parametrize("gateway", [None, "", "stripe"])
def test_production_refuses_the_simulated_gateway_unless_named(gateway):
    prod = type("Prod", (RealProd,), {"PAYMENT_GATEWAY": gateway})
    with pytest.raises(RuntimeError, match="PAYMENT_GATEWAY"):
        create_app(prod)


def test_development_uses_the_simulated_gateway_without_being_told():
    class Dev(RealProd):
        PRODUCTION = False
        PAYMENT_GATEWAY = None
        REDIS_URL = None

    assert create_app(Dev).config["PAYMENT_GATEWAY"] == "simulated"


def _start_wsgi(**env) -> subprocess.CompletedProcess:
    """Import wsgi.py in a fresh interpreter, as gunicorn does, with only the given settings."""
    root = Path(__file__).resolve().parents[2]
    clean = {k: v for k, v in os.environ.items()
             if k not in ("REDIS_URL", "PAYMENT_GATEWAY", "SECRET_KEY", "QR_SIGNING_KEY", "DATABASE_URL")}
    clean.update(CHARGEWAY_PRODUCTION="1", SECRET_KEY=RealProd.SECRET_KEY,
                 QR_SIGNING_KEY=RealProd.QR_SIGNING_KEY,
                 DATABASE_URL="sqlite://", LOG_FORMAT="text", **env)
    return subprocess.run([sys.executable, "-c", "import wsgi"], cwd=root, env=clean, capture_output=True,
                          text=True, timeout=60)


def test_production_process_prints_that_payments_are_simulated_or_refuses():
    started = _start_wsgi(REDIS_URL=WORKER_REDIS_URL, PAYMENT_GATEWAY="simulated")
    assert started.returncode == 0, started.stderr
    assert "Payments are SIMULATED" in started.stderr
    refused = _start_wsgi(REDIS_URL=WORKER_REDIS_URL)
    assert refused.returncode != 0 and "PAYMENT_GATEWAY=simulated" in refused.stderr
    no_redis = _start_wsgi(PAYMENT_GATEWAY="simulated")
    assert no_redis.returncode != 0 and "REDIS_URL must be set in production" in no_redis.stderr


def test_healthz_and_readyz(client):
    assert client.get("/healthz").get_json()["status"] == "ok"
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["checks"] == {"database": "ok"}


def test_readyz_reports_a_broken_database(app, client, monkeypatch):
    from webapp.extensions import db

    def broken(*args, **kwargs):
        raise ConnectionError("database down")

    monkeypatch.setattr(db.session, "execute", broken)
    answer = client.get("/readyz")
    assert answer.status_code == 503 and answer.get_json()["checks"]["database"].startswith("error")
