"""Bulk INSERT of many rows as one statement, whatever their number.

On PostgreSQL the rows travel as one array per column (INSERT ... SELECT FROM unnest(...)): the statement
text is the same for every batch, so neither SQLAlchemy nor psycopg renders or parses a statement with
thousands of placeholders, and PostgreSQL plans it once. Elsewhere (SQLite) an executemany does the job.
"""
from functools import lru_cache

from sqlalchemy import Table, insert as sa_insert, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.types import TypeDecorator

from ..extensions import db


def insert(table: Table, rows: list[dict], *, skip_duplicates: bool = False, returning: tuple[str, ...] = ()):
    """Insert `rows` (dicts with the same keys) into `table`; with `skip_duplicates`, rows that would break
    a unique key are left out (ON CONFLICT DO NOTHING). Returns the `returning` columns of inserted rows."""
    if not rows:
        return []
    columns = tuple(rows[0])
    dialect = db.session.get_bind().dialect
    if dialect.name == "postgresql":
        params = {}
        for name in columns:
            column_type = table.c[name].type
            values = [row[name] for row in rows]
            if isinstance(column_type, TypeDecorator):
                values = [column_type.process_bind_param(v, dialect) for v in values]
            params[name] = values
        result = db.session.execute(_unnest_statement(table, columns, skip_duplicates, returning), params)
    else:
        stmt = (sqlite.insert(table).on_conflict_do_nothing() if skip_duplicates else sa_insert(table))
        if returning:
            stmt = stmt.returning(*(table.c[name] for name in returning))
        result = db.session.execute(stmt, rows)
    return result.all() if returning else []


@lru_cache(maxsize=64)
def _unnest_statement(table: Table, columns: tuple[str, ...], skip_duplicates: bool, returning: tuple[str, ...]):
    from sqlalchemy.dialects import postgresql

    dialect = postgresql.dialect()
    arrays = ", ".join(f"CAST(:{name} AS {_array_type(table.c[name].type, dialect)})" for name in columns)
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT * FROM unnest({arrays})"
    if skip_duplicates:
        sql += " ON CONFLICT DO NOTHING"
    stmt = text(sql)
    if returning:
        stmt = text(f"{sql} RETURNING {', '.join(returning)}").columns(*(table.c[name] for name in returning))
    return stmt


def _array_type(column_type, dialect) -> str:
    if isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    return f"{column_type.compile(dialect=dialect)}[]"
