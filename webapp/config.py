"""Settings read from the environment; see the README's settings table."""
import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
INSTANCE_DIR = BASE_DIR / "instance"


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Base configuration: every value can be set from the environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY")
    QR_SIGNING_KEY = os.environ.get("QR_SIGNING_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'chargeway.sqlite'}"
    )
    REDIS_URL = os.environ.get("REDIS_URL") or None
    NODE_ID = os.environ.get("NODE_ID") or f"node-{os.getpid()}-{secrets.token_hex(3)}"
    PUBLIC_URL = os.environ.get("PUBLIC_URL")  # used in QR codes; defaults to the request host

    # Timers (seconds)
    HOLD_MINUTES = _int("HOLD_MINUTES", 10)
    ARRIVAL_GRACE_MINUTES = _int("ARRIVAL_GRACE_MINUTES", 15)
    EXIT_GRACE_MINUTES = _int("EXIT_GRACE_MINUTES", 10)
    OFFLINE_CHECK_SECONDS = _int("OFFLINE_CHECK_SECONDS", 30)
    OFFLINE_MARGIN_SECONDS = _int("OFFLINE_MARGIN_SECONDS", 30)
    HOLD_WARNING_SECONDS = _int("HOLD_WARNING_SECONDS", 120)
    # Sub-minute timers for tests and demos: when > 0 they win over the *_MINUTES settings above.
    HOLD_SECONDS = _int("HOLD_SECONDS", 0)
    ARRIVAL_GRACE_SECONDS = _int("ARRIVAL_GRACE_SECONDS", 0)
    EXIT_GRACE_SECONDS = _int("EXIT_GRACE_SECONDS", 0)
    # After Start is pressed inside the arrival grace, StartTransaction may arrive this long after it.
    START_CONNECT_SECONDS = _int("START_CONNECT_SECONDS", 120)
    # Periods of the timer safety net and the maintenance-window check (in-process scheduler and `rq cron`).
    SWEEP_SECONDS = _int("SWEEP_SECONDS", 15)
    MAINTENANCE_TICK_SECONDS = _int("MAINTENANCE_TICK_SECONDS", 60)
    # How long a charger's route to its node lives in Redis without a refresh (services/bus.py).
    BUS_ROUTE_TTL_SECONDS = _int("BUS_ROUTE_TTL_SECONDS", 90)
    # An RQ worker whose last heartbeat is older than this is not counted as running. An idle worker beats every
    # worker_ttl - 15 s (RQ's default worker_ttl is 420 s) and its key expires at worker_ttl + 60 s.
    RQ_HEARTBEAT_STALE_SECONDS = _int("RQ_HEARTBEAT_STALE_SECONDS", 480)

    # The payment gateway. Only "simulated" exists; production must name it explicitly (webapp/__init__.py).
    PAYMENT_GATEWAY = os.environ.get("PAYMENT_GATEWAY") or None

    # OCPP
    HEARTBEAT_INTERVAL = _int("HEARTBEAT_INTERVAL", 300)
    OCPP_AUTO_REGISTER = _bool("OCPP_AUTO_REGISTER", False)
    OCPP_UNKNOWN_STATUS = os.environ.get("OCPP_UNKNOWN_STATUS", "Rejected")  # or Pending
    # Wrong charger passwords at the handshake, per charger id and per address, within the window; past
    # either limit the handshake is 429 until the window ends (services/charger_auth.py).
    OCPP_AUTH_MAX_FAILURES = _int("OCPP_AUTH_MAX_FAILURES", 10)
    OCPP_AUTH_IP_MAX_FAILURES = _int("OCPP_AUTH_IP_MAX_FAILURES", 30)
    OCPP_AUTH_WINDOW_SECONDS = _int("OCPP_AUTH_WINDOW_SECONDS", 300)
    OCPP_CALL_TIMEOUT = float(os.environ.get("OCPP_CALL_TIMEOUT", 15))
    OCPP_MAX_MESSAGE_BYTES = _int("OCPP_MAX_MESSAGE_BYTES", 65536)
    OCPP_PING_INTERVAL = _int("OCPP_PING_INTERVAL", 60)
    OCPP_BOOT_TIMEOUT_SECONDS = float(os.environ.get("OCPP_BOOT_TIMEOUT_SECONDS", 120))
    BUS_REDIS_TIMEOUT_SECONDS = float(os.environ.get("BUS_REDIS_TIMEOUT_SECONDS", 5))
    OCPP_LOG_KEEP = _int("OCPP_LOG_KEEP", 200)  # messages kept per charger
    LAST_SEEN_WRITE_SECONDS = _int("LAST_SEEN_WRITE_SECONDS", 5)
    OCPP_LOG_FLUSH_SECONDS = float(os.environ.get("OCPP_LOG_FLUSH_SECONDS", 1))
    METER_BATCH_MS = float(os.environ.get("METER_BATCH_MS", 20))
    METER_CONNECTOR_CACHE_SECONDS = float(os.environ.get("METER_CONNECTOR_CACHE_SECONDS", 30))

    # Timers run in this process when Redis is not configured.
    EMBEDDED_SCHEDULER = _bool("EMBEDDED_SCHEDULER", True)

    API_TOKEN_MINUTES = _int("API_TOKEN_MINUTES", 60)
    API_REFRESH_DAYS = _int("API_REFRESH_DAYS", 30)
    API_VALIDATE_RESPONSES = _bool("API_VALIDATE_RESPONSES", False)  # tests turn it on

    LOGIN_MAX_FAILURES = _int("LOGIN_MAX_FAILURES", 5)
    LOGIN_LOCKOUT_MINUTES = _int("LOGIN_LOCKOUT_MINUTES", 15)
    LOGIN_IP_MAX_FAILURES = _int("LOGIN_IP_MAX_FAILURES", 20)  # per address, whatever the accounts tried
    LOGIN_IP_WINDOW_MINUTES = _int("LOGIN_IP_WINDOW_MINUTES", 15)

    # Station availability (the driver's station list and connectors, the API's station reads) is cached per
    # process for this long: every driver sees the same, every phone polls it. A status change shows within
    # this time; 0 turns the cache off. See services/snapshots.py.
    FRAGMENT_CACHE_SECONDS = float(os.environ.get("FRAGMENT_CACHE_SECONDS", 2))

    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PRODUCTION = _bool("CHARGEWAY_PRODUCTION", False)


def _local_secret() -> str:
    """Embedded mode: a random secret generated once and kept in instance/ (never a literal default)."""
    path = INSTANCE_DIR / ".secret_key"
    if not path.exists():
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


class DevelopmentConfig(Config):
    """Embedded laptop mode: generates a local secret when none is set."""

    def __init__(self):
        if not self.SECRET_KEY:
            self.SECRET_KEY = _local_secret()


class ProductionConfig(Config):
    """PostgreSQL + Redis; refuses to start without real secrets."""

    PRODUCTION = True
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    # Strict-Transport-Security max-age sent in production (webapp/headers.py); 0 sends none.
    HSTS_SECONDS = _int("HSTS_SECONDS", 31536000)


class TestConfig(Config):
    """Fast timers and a throwaway database for tests."""

    API_VALIDATE_RESPONSES = True
    TESTING = True
    SECRET_KEY = "test-secret-key"
    QR_SIGNING_KEY = "test-qr-key"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    REDIS_URL = None
    WTF_CSRF_ENABLED = False
    EMBEDDED_SCHEDULER = False
    OCPP_AUTO_REGISTER = False
    OCPP_CALL_TIMEOUT = 5.0
    LAST_SEEN_WRITE_SECONDS = 0
    OCPP_LOG_FLUSH_SECONDS = 0
    METER_BATCH_MS = 0
    FRAGMENT_CACHE_SECONDS = 0  # tests see every change at once; the cache's own tests turn it on
