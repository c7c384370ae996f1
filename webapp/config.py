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
    # Console times that belong to no station (accounts, audit, health) are shown in this IANA zone, unless
    # the staff member chose a zone of their own (webapp/admin/clock.py).
    CONSOLE_TIMEZONE = os.environ.get("CONSOLE_TIMEZONE", "UTC")

    # Timers (seconds)
    HOLD_MINUTES = _int("HOLD_MINUTES", 10)
    ARRIVAL_GRACE_MINUTES = _int("ARRIVAL_GRACE_MINUTES", 15)
    EXIT_GRACE_MINUTES = _int("EXIT_GRACE_MINUTES", 10)
    # Slots booked ahead (services/booking/slots.py): from now + SLOT_LEAD_MINUTES up to SLOT_MAX_DAYS ahead,
    # starting on SLOT_STEP_MINUTES boundaries, SLOT_DEFAULT_MINUTES long unless the driver says otherwise;
    # the connector stays blocked SLOT_CHANGEOVER_MINUTES after a slot ends.
    SLOT_LEAD_MINUTES = _int("SLOT_LEAD_MINUTES", 30)
    SLOT_MAX_DAYS = _int("SLOT_MAX_DAYS", 7)
    SLOT_STEP_MINUTES = _int("SLOT_STEP_MINUTES", 15)
    SLOT_DEFAULT_MINUTES = _int("SLOT_DEFAULT_MINUTES", 60)
    SLOT_CHANGEOVER_MINUTES = _int("SLOT_CHANGEOVER_MINUTES", 10)
    # A paid slot's life (services/booking/slot_life.py): a reminder SLOT_REMINDER_MINUTES before its start,
    # ReserveNow SLOT_RESERVE_AHEAD_MINUTES before it, and a session of someone else still charging on its
    # connector is warned SLOT_WARN_MINUTES before it must end (the start less the changeover) and stopped then.
    SLOT_REMINDER_MINUTES = _int("SLOT_REMINDER_MINUTES", 60)
    SLOT_RESERVE_AHEAD_MINUTES = _int("SLOT_RESERVE_AHEAD_MINUTES", 5)
    SLOT_WARN_MINUTES = _int("SLOT_WARN_MINUTES", 10)
    # A driver holds at most this many slots ahead (unpaid or scheduled) at once.
    SLOT_MAX_PER_DRIVER = _int("SLOT_MAX_PER_DRIVER", 3)
    OFFLINE_CHECK_SECONDS = _int("OFFLINE_CHECK_SECONDS", 30)
    OFFLINE_MARGIN_SECONDS = _int("OFFLINE_MARGIN_SECONDS", 30)
    HOLD_WARNING_SECONDS = _int("HOLD_WARNING_SECONDS", 120)
    # Sub-minute timers for tests and demos: when > 0 they win over the *_MINUTES settings above.
    HOLD_SECONDS = _int("HOLD_SECONDS", 0)
    ARRIVAL_GRACE_SECONDS = _int("ARRIVAL_GRACE_SECONDS", 0)
    EXIT_GRACE_SECONDS = _int("EXIT_GRACE_SECONDS", 0)
    SLOT_REMINDER_SECONDS = _int("SLOT_REMINDER_SECONDS", 0)
    SLOT_RESERVE_AHEAD_SECONDS = _int("SLOT_RESERVE_AHEAD_SECONDS", 0)
    SLOT_WARN_SECONDS = _int("SLOT_WARN_SECONDS", 0)
    # After Start is pressed inside the arrival grace, StartTransaction may arrive this long after it.
    START_CONNECT_SECONDS = _int("START_CONNECT_SECONDS", 120)
    # Periods of the timer safety net and the maintenance-window check (in-process scheduler and `rq cron`).
    SWEEP_SECONDS = _int("SWEEP_SECONDS", 15)
    MAINTENANCE_TICK_SECONDS = _int("MAINTENANCE_TICK_SECONDS", 60)
    # Smart charging (services/charging/smart.py): stations are re-planned every SMART_REPLAN_SECONDS (solar
    # moves, time-of-day limits); a limit is re-sent only when it moves by more than SMART_THRESHOLD_KW (no
    # flapping); jobs that talk to a charger after its boot or a start wait SMART_DELAY_SECONDS (its answer
    # first); a Solar session without a floor of its own (chosen at checkout) gets at least SMART_SOLAR_FLOOR_KW.
    SMART_REPLAN_SECONDS = _int("SMART_REPLAN_SECONDS", 60)
    SMART_THRESHOLD_KW = float(os.environ.get("SMART_THRESHOLD_KW", 1.0))
    SMART_DELAY_SECONDS = float(os.environ.get("SMART_DELAY_SECONDS", 1.0))
    SMART_SOLAR_FLOOR_KW = float(os.environ.get("SMART_SOLAR_FLOOR_KW", 1.4))
    # A charger's Smart Charging keys (GetConfiguration after an accepted boot) are not read again at a boot
    # with the same vendor, model and firmware within this long (0: read at every boot).
    SMART_CONFIG_MAX_AGE_SECONDS = _int("SMART_CONFIG_MAX_AGE_SECONDS", 86400)
    # How long a charger's route to its node lives in Redis without a refresh (services/platform/bus.py).
    BUS_ROUTE_TTL_SECONDS = _int("BUS_ROUTE_TTL_SECONDS", 90)
    # An RQ worker whose last heartbeat is older than this is not counted as running. An idle worker beats every
    # worker_ttl - 15 s (RQ's default worker_ttl is 420 s) and its key expires at worker_ttl + 60 s.
    RQ_HEARTBEAT_STALE_SECONDS = _int("RQ_HEARTBEAT_STALE_SECONDS", 480)

    # The payment gateway. Only "simulated" exists; production must name it explicitly (webapp/__init__.py).
    PAYMENT_GATEWAY = os.environ.get("PAYMENT_GATEWAY") or None
    # The server's RemoteStopTransaction is retried this often until StopTransaction arrives; after this
    # many failed attempts staff are alerted and the connector is made Inoperative when the booking ends.
    QUOTA_STOP_RETRY_SECONDS = _int("QUOTA_STOP_RETRY_SECONDS", 30)
    QUOTA_STOP_ALERT_ATTEMPTS = _int("QUOTA_STOP_ALERT_ATTEMPTS", 3)
    # A live booking whose charger is silent this long (or FINISHING/OVERSTAY this long past its exit-by)
    # is flagged stuck and staff alerted; STUCK_SESSION_SECONDS > 0 wins (tests and demos).
    STUCK_SESSION_MINUTES = _int("STUCK_SESSION_MINUTES", 30)
    STUCK_SESSION_SECONDS = _int("STUCK_SESSION_SECONDS", 0)

    # OCPP
    HEARTBEAT_INTERVAL = _int("HEARTBEAT_INTERVAL", 300)
    OCPP_AUTO_REGISTER = _bool("OCPP_AUTO_REGISTER", False)
    OCPP_UNKNOWN_STATUS = os.environ.get("OCPP_UNKNOWN_STATUS", "Rejected")  # or Pending
    # Wrong charger passwords at the handshake, per charger id and per address, within the window; past
    # either limit the handshake is 429 until the window ends (services/fleet/charger_auth.py).
    OCPP_AUTH_MAX_FAILURES = _int("OCPP_AUTH_MAX_FAILURES", 10)
    OCPP_AUTH_IP_MAX_FAILURES = _int("OCPP_AUTH_IP_MAX_FAILURES", 30)
    OCPP_AUTH_WINDOW_SECONDS = _int("OCPP_AUTH_WINDOW_SECONDS", 300)
    OCPP_CALL_TIMEOUT = float(os.environ.get("OCPP_CALL_TIMEOUT", 15))
    OCPP_MAX_MESSAGE_BYTES = _int("OCPP_MAX_MESSAGE_BYTES", 65536)
    OCPP_PING_INTERVAL = _int("OCPP_PING_INTERVAL", 60)
    OCPP_BOOT_TIMEOUT_SECONDS = float(os.environ.get("OCPP_BOOT_TIMEOUT_SECONDS", 120))
    BUS_REDIS_TIMEOUT_SECONDS = float(os.environ.get("BUS_REDIS_TIMEOUT_SECONDS", 5))
    OCPP_LOG_KEEP = _int("OCPP_LOG_KEEP", 200)  # log rows (a CALL and its answer) kept per charger
    # Retention (services/platform/retention.py), run every RETENTION_SECONDS; the OCPP log keeps OCPP_LOG_KEEP per charger.
    RETENTION_SECONDS = _int("RETENTION_SECONDS", 3600)
    METER_SAMPLE_KEEP_DAYS = _int("METER_SAMPLE_KEEP_DAYS", 180)
    CHARGER_EVENT_KEEP_DAYS = _int("CHARGER_EVENT_KEEP_DAYS", 90)
    NOTIFICATION_KEEP_DAYS = _int("NOTIFICATION_KEEP_DAYS", 90)
    API_TOKEN_KEEP_DAYS = _int("API_TOKEN_KEEP_DAYS", 7)
    # A charger timestamp more than this far ahead of our clock is stored as given but orders as now + this.
    OCPP_CLOCK_SKEW_SECONDS = _int("OCPP_CLOCK_SKEW_SECONDS", 300)
    LAST_SEEN_WRITE_SECONDS = _int("LAST_SEEN_WRITE_SECONDS", 5)
    OCPP_LOG_FLUSH_SECONDS = float(os.environ.get("OCPP_LOG_FLUSH_SECONDS", 1))
    METER_BATCH_MS = float(os.environ.get("METER_BATCH_MS", 20))
    # A charger's password hash is cached per process for the WebSocket handshake (services/fleet/charger_auth.py:
    # a change anywhere is announced through Redis; without Redis there is no cache); an entry is read
    # again after this long even when no change was announced (0: no cache).
    CHARGER_AUTH_CACHE_SECONDS = float(os.environ.get("CHARGER_AUTH_CACHE_SECONDS", 300))
    # WebSocket handshakes arriving together share one Redis round trip and one SELECT (0: each its own).
    HANDSHAKE_BATCH_MS = float(os.environ.get("HANDSHAKE_BATCH_MS", 5))
    # BootNotifications, StatusNotifications and sockets opening/closing share a group commit the same way
    # (answered after it; 0: each in its handler's own transaction).
    STATUS_BATCH_MS = float(os.environ.get("STATUS_BATCH_MS", 20))
    # How long a handler waits for its group commit before the charger gets an InternalError (the item is
    # still written later).
    GROUP_COMMIT_TIMEOUT_SECONDS = float(os.environ.get("GROUP_COMMIT_TIMEOUT_SECONDS", 30))
    METER_CONNECTOR_CACHE_SECONDS = float(os.environ.get("METER_CONNECTOR_CACHE_SECONDS", 30))
    # Items waiting in each write-behind queue (last seen, OCPP log, MeterValues) before a socket that adds
    # one waits for the flush: memory stays bounded when the database is slow or down.
    WRITEBEHIND_MAX_PENDING = _int("WRITEBEHIND_MAX_PENDING", 20000)

    # Garbage collection in a worker holding many sockets (webapp/ocpp/gcpolicy.py): after chargers booted,
    # everything alive is frozen out of the collector's walks at most every GC_FREEZE_SECONDS (0: never);
    # after GC_COLLECT_AFTER_CLOSES closed sockets one full collection frees what they left (0: never);
    # every GC_FULL_SECONDS one full collection of what is not frozen (Python's own are off meanwhile);
    # GC_THRESHOLDS "g0,g1,g2" for gc.set_threshold (empty: Python's first two).
    GC_FREEZE_SECONDS = float(os.environ.get("GC_FREEZE_SECONDS", 1))
    GC_COLLECT_AFTER_CLOSES = _int("GC_COLLECT_AFTER_CLOSES", 1000)
    GC_FULL_SECONDS = float(os.environ.get("GC_FULL_SECONDS", 60))
    GC_THRESHOLDS = os.environ.get("GC_THRESHOLDS", "")

    # Database pool per process (not used for SQLite). A gevent worker serves thousands of sockets, but a
    # frame holds a connection only while its handler runs; callers past size + overflow wait up to the
    # timeout and then get an error (an OCPP InternalError, an HTTP 500). Sized from the worker's
    # WORKER_CONNECTIONS (one connection per 1,000 sockets, 10-40) and kept open: an overflow connection
    # is opened and closed again for every burst (a reconnect storm opened ~350 of them).
    DB_POOL_SIZE = _int("DB_POOL_SIZE", min(40, max(10, _int("WORKER_CONNECTIONS", 20000) // 1000)))
    DB_MAX_OVERFLOW = _int("DB_MAX_OVERFLOW", 0)
    DB_POOL_TIMEOUT = _int("DB_POOL_TIMEOUT", 10)

    # Money: MeterValues past this share of the authorisation ask the gateway for more (an incremental
    # authorisation); pending payments older than AFTER are finished by the reconciliation job every RECONCILE.
    AUTH_TOPUP_PERCENT = _int("AUTH_TOPUP_PERCENT", 95)
    PAYMENT_RECONCILE_SECONDS = _int("PAYMENT_RECONCILE_SECONDS", 60)
    PAYMENT_RECONCILE_AFTER_SECONDS = _int("PAYMENT_RECONCILE_AFTER_SECONDS", 30)

    # Timers run in this process when Redis is not configured.
    EMBEDDED_SCHEDULER = _bool("EMBEDDED_SCHEDULER", True)

    API_TOKEN_MINUTES = _int("API_TOKEN_MINUTES", 60)
    API_REFRESH_DAYS = _int("API_REFRESH_DAYS", 30)
    API_VALIDATE_RESPONSES = _bool("API_VALIDATE_RESPONSES", False)  # tests turn it on

    # Failed logins allowed (Flask-Limiter syntax, "N per M minutes"; several separated by ";"). Past them the
    # pair or the address gets 429 until the window moves on; the account itself is never locked.
    LOGIN_FAILURES_PER_ACCOUNT_ADDRESS = os.environ.get("LOGIN_FAILURES_PER_ACCOUNT_ADDRESS", "5 per 15 minutes")
    LOGIN_FAILURES_PER_ADDRESS = os.environ.get("LOGIN_FAILURES_PER_ADDRESS", "20 per 15 minutes")
    REGISTER_LIMIT = os.environ.get("REGISTER_LIMIT", "10 per hour")  # sign-up attempts per address
    # Where the limits are counted: shared Redis when there is one (every process sees the same counts).
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or REDIS_URL or "memory://"
    RATELIMIT_ENABLED = True  # the limiter is one object for every app in a process: say it each time
    # How many proxies (load balancers) in front of us set X-Forwarded-For/-Proto; 0 trusts none of it.
    TRUSTED_PROXIES = _int("TRUSTED_PROXIES", 0)

    # Station availability (the driver's station list and connectors, the API's station reads) is cached per
    # process for this long: every driver sees the same, every phone polls it. A status change shows within
    # this time; 0 turns the cache off. See services/platform/snapshots.py.
    FRAGMENT_CACHE_SECONDS = float(os.environ.get("FRAGMENT_CACHE_SECONDS", 2))

    # Observability (webapp/observe.py): with METRICS_TOKEN set, /metrics needs `Authorization: Bearer <it>`;
    # unset, only a direct loopback connection (no proxy header) may read it.
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN") or None
    # Timer jobs that talk to chargers or the gateway (services/platform/timers.py RETRIED) are retried this many
    # times after an error, waiting these seconds before each retry (RQ's rule: with fewer intervals than
    # retries, the first repeats at the start).
    JOB_RETRY_MAX = _int("JOB_RETRY_MAX", 3)
    JOB_RETRY_INTERVALS = tuple(int(s) for s in os.environ.get("JOB_RETRY_INTERVALS", "10,60,300").split(",") if s.strip())

    # Web Push (services/platform/push.py): the VAPID key pair signs every push (RFC 8292); its public half is
    # the browsers' applicationServerKey. PEM or base64url; embedded mode generates one into instance/.
    # Unset (production without a key, tests): no push is offered or sent. Pushes live PUSH_TTL_SECONDS at the
    # push service while the phone is off; endpoints must be https on a host ending in one of PUSH_SERVICE_HOSTS
    # (a driver's browser names the URL our server posts to: no other host is ever contacted).
    VAPID_PRIVATE_KEY = os.environ.get("VAPID_PRIVATE_KEY") or None
    VAPID_SUBJECT = os.environ.get("VAPID_SUBJECT") or None  # default: mailto: the MAIL_DEFAULT_SENDER address
    PUSH_TTL_SECONDS = _int("PUSH_TTL_SECONDS", 900)
    PUSH_TIMEOUT_SECONDS = float(os.environ.get("PUSH_TIMEOUT_SECONDS", 10))
    PUSH_SERVICE_HOSTS = tuple(h.strip() for h in os.environ.get(
        "PUSH_SERVICE_HOSTS", "fcm.googleapis.com,push.services.mozilla.com,notify.windows.com,push.apple.com"
    ).split(",") if h.strip())
    # Email (services/platform/mail.py, the standard library's smtplib): through MAIL_SERVER when set, else
    # written one .eml per mail into MAIL_DIR (embedded default instance/mail/); neither: no email is sent.
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = _int("MAIL_PORT", 587)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", True)  # STARTTLS after connecting
    MAIL_USE_SSL = _bool("MAIL_USE_SSL", False)  # TLS from the first byte (port 465)
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", 10))
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Chargeway <noreply@chargeway.invalid>")
    MAIL_DIR = os.environ.get("MAIL_DIR") or None

    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_HTTPONLY = True
    PRODUCTION = _bool("CHARGEWAY_PRODUCTION", False)


def _local_vapid_key() -> str:
    """Embedded mode: a VAPID key pair generated once into instance/ (py_vapid), PEM."""
    path = INSTANCE_DIR / "vapid_private.pem"
    if not path.exists():
        from py_vapid import Vapid

        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        key = Vapid()
        key.generate_keys()
        path.write_bytes(key.private_pem())
        path.chmod(0o600)
    return path.read_text()


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
        if not self.VAPID_PRIVATE_KEY:
            self.VAPID_PRIVATE_KEY = _local_vapid_key()
        if not self.MAIL_SERVER and not self.MAIL_DIR:
            self.MAIL_DIR = str(INSTANCE_DIR / "mail")


class ProductionConfig(Config):
    """PostgreSQL + Redis; refuses to start without real secrets."""

    PRODUCTION = True
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    # The remember cookie signs in for a year: HTTPS only, never readable by scripts.
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
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
    RATELIMIT_STORAGE_URI = "memory://"
    WTF_CSRF_ENABLED = False
    EMBEDDED_SCHEDULER = False
    OCPP_AUTO_REGISTER = False
    OCPP_CALL_TIMEOUT = 5.0
    LAST_SEEN_WRITE_SECONDS = 0
    OCPP_LOG_FLUSH_SECONDS = 0
    METER_BATCH_MS = 0
    FRAGMENT_CACHE_SECONDS = 0  # tests see every change at once; the cache's own tests turn it on
    VAPID_PRIVATE_KEY = None  # no push and no email unless a test sets them up (tests/driver/test_push.py, test_mail.py)
    MAIL_SERVER = None
    MAIL_DIR = None
