"""Production settings refuse default secrets; health and readiness endpoints answer."""
import pytest

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


def test_production_starts_with_real_secrets():
    class Prod(ProductionConfig):
        SECRET_KEY = "a" * 48
        QR_SIGNING_KEY = "b" * 48
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    app = create_app(Prod)
    assert app.config["PRODUCTION"] and app.config["SESSION_COOKIE_SECURE"]


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
