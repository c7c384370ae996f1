"""CSV exports, streamed: rows are read in keyset-paged chunks and written as they come.

Each chunk ends its transaction before the rows are yielded, so a slow download never holds a database
lock (SQLite takes the write lock at BEGIN) or a long snapshot.
"""
import re
from collections.abc import Callable, Iterator

from ...extensions import db
from ...models import ChargingSession, Payment, User
from ...timeutil import iso
from ..accounts import id_tags, roles
from ..platform import audit
from . import records

CHUNK = 500
# What a spreadsheet may run as a formula when a cell starts with it (after blanks, which some trim), the
# full-width forms included (OWASP CSV injection); a plain number such as -1.50 is a number, not a formula.
_FORMULA_START = ("=", "+", "-", "@", "|", "\t", "\r", "\n", "＝", "＋", "－", "＠")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")
# Cells holding any of these are quoted: the separators of ',' and ';' locales, quotes, line breaks, and
# blanks at either end, so every reader splits the line where we did.
_QUOTE_IF = re.compile(r'[,;"\r\n\t]|^\s|\s$')
# A ';' locale reading our ',' file starts a cell after every ';' (and a row after every line break) even
# inside a quoted cell, quotes there being only honoured at a cell's start: a formula there is neutralised.
_INNER_START = re.compile(r"([;\r\n][ ]*)(?=[=+\-@|\t＝＋－＠])")


def _cell(value) -> str:
    """A CSV cell's text; text that a spreadsheet would run as a formula is prefixed with a quote."""
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return iso(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    text = _INNER_START.sub(r"\1'", str(value))
    if text.lstrip(" ").startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def _quoted(text: str) -> str:
    if text.startswith("'") or _QUOTE_IF.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def format_row(values) -> str:
    """One CSV line (RFC 4180, CRLF): formula-like text neutralised, and every cell that could split in a
    ',' or ';' locale or start a formula quoted (csv.writer quotes neither ';' nor a neutralised cell)."""
    return ",".join(_quoted(_cell(v)) for v in values) + "\r\n"


def _major(amount: int | None) -> str:
    return "" if amount is None else f"{amount / 100:.2f}"


def _chunks(query, model, to_row: Callable) -> Iterator[list[list]]:
    """Run `query` (ordered by id descending) in chunks; each chunk is turned into rows, then the transaction ends."""
    last_id = None
    while True:
        page = query if last_id is None else query.where(model.id < last_id)
        batch = db.session.execute(page.limit(CHUNK)).scalars().all()
        rows = [to_row(obj) for obj in batch]
        last_id = batch[-1].id if batch else None
        db.session.rollback()
        if rows:
            yield rows
        if len(batch) < CHUNK:
            return


def stream(header: list[str], query, model, to_row: Callable) -> Iterator[str]:
    """CSV text, header first, one piece per chunk."""
    yield format_row(header)
    for rows in _chunks(query, model, to_row):
        yield "".join(format_row(row) for row in rows)


SESSION_HEADER = ["transaction_id", "station", "charger", "connector", "driver_email", "id_tag", "auth_status",
                  "booking_id", "started_at", "stopped_at", "stop_reason", "energy_kwh", "cost", "currency",
                  "soc_start", "soc_last"]


def _session_row(s: ChargingSession, reveal: bool) -> list:
    charger = s.connector.charger
    return [s.id, charger.station.name if charger.station else "", charger.charge_point_id, s.connector.connector_id,
            s.user.email if s.user else "", id_tags.shown(s.id_tag, reveal), s.auth_status, s.booking_id, s.started_at, s.stopped_at,
            s.stop_reason, f"{s.energy_wh / 1000:.3f}", _major(s.cost), s.currency, s.soc_start, s.soc_last]


def sessions_csv(query, viewer=None) -> Iterator[str]:
    """Charging sessions as CSV (`query` from records.sessions_query); drivers' idTags hidden unless `viewer`
    is an admin."""
    reveal = id_tags.reveals(viewer)
    return stream(SESSION_HEADER, query, ChargingSession, lambda s: _session_row(s, reveal))


PAYMENT_HEADER = ["payment_id", "created_at", "booking_id", "station", "driver_email", "kind", "method", "status",
                  "amount", "currency", "provider_ref", "reason", "failure_reason"]


def _payment_row(p: Payment) -> list:
    station = p.booking.connector.charger.station if p.booking else None
    return [p.id, p.created_at, p.booking_id, station.name if station else "", p.user.email, p.kind, p.method,
            p.status, _major(p.amount), p.currency, p.provider_ref, p.reason, p.failure_reason]


def payments_csv(query) -> Iterator[str]:
    """Payments as CSV (`query` from records.payments_query)."""
    return stream(PAYMENT_HEADER, query, Payment, _payment_row)


USER_HEADER = ["user_id", "email", "name", "role", "active", "id_tag", "created_at", "stations"]


def _user_row(u: User) -> list:
    return [u.id, u.email, u.name, u.role, u.active, u.id_tag, u.created_at, "; ".join(s.name for s in u.stations)]


def users_csv(query) -> Iterator[str]:
    """Accounts as CSV (`query` from roles.users_query)."""
    return stream(USER_HEADER, query, User, _user_row)


def _audited(name: str, filters: dict, body: Iterator[str]) -> Iterator[str]:
    """Record who exported what with which filters (committed before the first row is read), then the CSV."""
    audit.log(f"export.{name}", "export", name, None, {k: str(v) for k, v in filters.items() if v})
    db.session.commit()
    return body


def export_sessions(viewer, **filters) -> Iterator[str]:
    """The sessions `viewer` may see matching the sessions list's filters, as CSV; audited."""
    return _audited("sessions", filters, sessions_csv(records.sessions_query(viewer, **filters), viewer))


def export_payments(viewer, **filters) -> Iterator[str]:
    """The payments `viewer` may see matching the payments list's filters, as CSV; audited."""
    return _audited("payments", filters, payments_csv(records.payments_query(viewer, **filters)))


def export_users(**filters) -> Iterator[str]:
    """Accounts matching the users list's filters, as CSV (admins only); audited."""
    return _audited("users", filters, users_csv(roles.users_query(**filters)))
