"""The database pool is a setting sized for the worker (issue 11 point 10)."""
import pytest

from webapp.extensions import db


@pytest.fixture
def app_overrides():
    return {"DB_POOL_SIZE": 7, "DB_MAX_OVERFLOW": 3, "DB_POOL_TIMEOUT": 4}


def test_pool_size_overflow_and_timeout_come_from_the_settings(app, backend):
    if backend == "sqlite":
        pytest.skip("SQLite keeps SQLAlchemy's own pool (one file, one writer)")
    pool = db.engine.pool
    assert (pool.size(), pool._max_overflow, pool._timeout) == (7, 3, 4)
