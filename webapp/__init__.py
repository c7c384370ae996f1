"""Chargeway: the Flask application factory is the only wiring point."""
import logging
import os

from flask import Flask
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.engine import Engine

from . import secret_checks
from werkzeug.middleware.proxy_fix import ProxyFix

from .extensions import csrf, db, htmx, limiter, login_manager, migrate, sock
from .services.accounts import signouts

log = logging.getLogger(__name__)


def create_app(config_class=None) -> Flask:
    """Build the app; `config_class` defaults to production or development by environment."""
    from . import config as cfg

    if config_class is None:
        prod = os.environ.get("CHARGEWAY_PRODUCTION", "").lower() in {"1", "true", "yes"}
        config_class = cfg.ProductionConfig if prod else cfg.DevelopmentConfig
    app = Flask(__name__, instance_path=str(cfg.INSTANCE_DIR), instance_relative_config=True)
    app.config.from_object(config_class())
    app.config["SOCK_SERVER_OPTIONS"] = {
        "subprotocols": ["ocpp1.6"],
        "max_message_size": app.config["OCPP_MAX_MESSAGE_BYTES"],
        "ping_interval": app.config["OCPP_PING_INTERVAL"],
    }
    _pool_options(app)
    _check_secrets(app)
    _check_runtime(app)
    from . import logs

    logs.configure(app.config.get("PRODUCTION", False))
    if app.config.get("PRODUCTION"):
        log.warning("Payments are SIMULATED (PAYMENT_GATEWAY=simulated): no money moves")
    os.makedirs(app.instance_path, exist_ok=True)
    trusted = app.config["TRUSTED_PROXIES"]
    if trusted:  # the client address (and scheme) from that many proxies' X-Forwarded-For/-Proto, no more
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted, x_proto=trusted)
    from . import params

    params.register(app)  # path ids and NUL bytes, before any blueprint's own checks
    register_extensions(app)
    register_blueprints(app)
    register_template_helpers(app)
    register_runtime(app)
    from . import headers

    headers.register(app)
    return app


def _pool_options(app: Flask) -> None:
    """The database pool from DB_POOL_SIZE, DB_MAX_OVERFLOW and DB_POOL_TIMEOUT (SQLite keeps its own)."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        "pool_size": app.config["DB_POOL_SIZE"], "max_overflow": app.config["DB_MAX_OVERFLOW"],
        "pool_timeout": app.config["DB_POOL_TIMEOUT"], **app.config["SQLALCHEMY_ENGINE_OPTIONS"]}


def _check_secrets(app: Flask) -> None:
    """Production: both keys strong (secret_checks) and different, so one leak does not give away the other."""
    if app.config.get("PRODUCTION"):
        for name in ("SECRET_KEY", "QR_SIGNING_KEY"):
            weak = secret_checks.weaknesses(app.config.get(name))
            if weak:
                raise RuntimeError(f"{name} must be set to a real secret in production: {'; '.join(weak)}. "
                                   "Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'")
        if app.config["SECRET_KEY"].strip() == app.config["QR_SIGNING_KEY"].strip():
            raise RuntimeError("QR_SIGNING_KEY must differ from SECRET_KEY in production")
    if not app.config.get("QR_SIGNING_KEY"):
        app.config["QR_SIGNING_KEY"] = app.config["SECRET_KEY"] + ":qr"


#: Payment gateways this build can talk to (services/money/gateway.py).
GATEWAYS = ("simulated",)


def _check_runtime(app: Flask) -> None:
    """Production needs Redis (the RQ worker runs every timer) and a gateway named on purpose."""
    gateway = app.config.get("PAYMENT_GATEWAY")
    if gateway and gateway not in GATEWAYS:
        raise RuntimeError(f"PAYMENT_GATEWAY={gateway!r} is unknown; this build has: {', '.join(GATEWAYS)}")
    if not app.config.get("PRODUCTION"):
        app.config["PAYMENT_GATEWAY"] = gateway or "simulated"
        return
    if not app.config.get("REDIS_URL"):
        raise RuntimeError("REDIS_URL must be set in production: without Redis and an RQ worker no hold expiry, "
                           "grace period, quota stop or reservation ever fires")
    if gateway != "simulated":
        raise RuntimeError("PAYMENT_GATEWAY must be set in production; the only gateway is the simulated one, "
                           "so set PAYMENT_GATEWAY=simulated to run with simulated payments")


def register_extensions(app: Flask) -> None:
    from . import models  # noqa: F401 - register the tables

    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True)
    # Flask-Login's own context processor loads the user for every template, even a polled fragment that
    # never shows it; the proxy loads it only when a template reads it.
    login_manager.init_app(app, add_context_processor=False)
    app.context_processor(lambda: {"current_user": current_user})
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    sock.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    htmx.init_app(app)
    from .services.platform import snapshots

    snapshots.init_app(app)

    @login_manager.user_loader
    def load_user(user_id: str):
        """"id:epoch" from the session or remember cookie; a cookie from before the last sign-out-everywhere
        (logout, suspension, password change) carries an old epoch and signs nobody in."""
        return signouts.user_for_cookie(user_id)


def register_blueprints(app: Flask) -> None:
    from .ocpp import bp as ocpp_bp
    from .auth import bp as auth_bp
    from .admin import bp as admin_bp
    from .driver import bp as driver_bp

    from .ops import bp as ops_bp
    from . import observe

    observe.init_app(app)  # /metrics, the request id, HTTP latency (first, so it times every request)
    csrf.exempt(ocpp_bp)
    app.register_blueprint(ocpp_bp)
    app.register_blueprint(ops_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(driver_bp)
    from . import api

    api.init_app(app)  # /api and /device: CSRF-exempt (Bearer / Basic, no cookies), JSON errors
    from . import cli

    cli.register(app)


def register_template_helpers(app: Flask) -> None:
    from .money import format_money
    from .status_words import status_word
    from .timeutil import iso

    app.add_template_filter(iso, "iso")
    app.add_template_filter(format_money, "money")
    app.add_template_filter(status_word, "status_word")


def register_runtime(app: Flask) -> None:
    """Command bus and timers: in-process by default, Redis when REDIS_URL is set."""
    from .services.booking import listeners
    from .services.charging import smart
    from .services.platform import bus, timers

    listeners.register()
    smart.register()
    bus.init_app(app)
    timers.init_app(app)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite: WAL, a busy timeout, foreign keys, and explicit transaction control."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin_immediate(conn):
    """SQLite: take the write lock at BEGIN so read-then-write transactions serialise instead of failing."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
