"""The console lists' filters: GET forms (no CSRF) read from the query string. A malformed value, an unknown
choice or a reversed date range is shown next to its field, marked "(ignored)", and left out of the filters the
service gets; the list still renders. A number beyond any id column (?page=, ?station_id=) stays a 400, as for
every console id (`params.bounded_int`).

`FilterForm` (the page), `SearchForm` (+ text), `DayRangeForm` (+ from and to days, from <= to), `ListFilterForm`
(both), and one subclass per list with its own selects. `filters()` gives the typed values for the list's query."""
from datetime import date

from flask import request
from wtforms import BooleanField, DateField, StringField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from ... import params
from ...forms.base import Form
from ...forms.fields import QueryNumber
from ...forms.validators import strip
from ...models import FINAL_STATUSES, LIVE_STATUSES, ROLES, STATION_STATUSES
from ...models.booking import PAYMENT_KINDS
from ...status_words import status_word, tidy_word
from .fields import Choice

FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2999, 12, 31)
PAYMENT_STATUSES = ("succeeded", "declined", "failed", "pending")
WINDOW_STATES = ("scheduled", "active", "done", "cancelled")
EVENT_KINDS = ("boot", "online", "offline", "status", "fault", "maintenance", "reservation", "command_failed",
               "late_message", "unknown_transaction", "unknown_id_tag")


class Day(DateField):
    """A YYYY-MM-DD day from FIRST_DAY to LAST_DAY (so the day after it still exists); blank is None."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, [Optional(), *(validators or [])], **kwargs)

    def process_formdata(self, valuelist) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(f"{self.label.text} is not a date (YYYY-MM-DD).") from exc

    def pre_validate(self, form) -> None:
        if self.data is not None and not FIRST_DAY <= self.data <= LAST_DAY:
            raise ValidationError(f"{self.label.text} must be between {FIRST_DAY} and {LAST_DAY}.")


def _station_id(raw) -> int | None:
    """A station select's value: blank is "all stations"; text that is no id is refused."""
    if raw is None or raw == "":
        return None
    value = params.bounded_int(raw, "station_id")  # 0 or another id not listed: refused as a choice
    if value is None:
        raise ValueError("not an id")
    return value


class StationChoice(Choice):
    """One of the viewer's stations (`FilterForm.from_args(stations=...)` sets the choices)."""

    def __init__(self, label="Station", validators=None, **kwargs):
        super().__init__(label, validators, message="Station: choose one from the list.", coerce=_station_id,
                         choices=[SelectChoice("", "all stations")], **kwargs)


def choice(label: str, values, blank: str, message: str, *, kind: str | None) -> Choice:
    """A select of `values` with a blank "any" option first, each shown as its word in the status family `kind`
    (status_words.WORDS), or tidied (`tidy_word`) where the values have no family (kind=None: roles, channels)."""
    word = tidy_word if kind is None else (lambda value: status_word(value, kind))
    return Choice(label, choices=[SelectChoice("", blank), *(SelectChoice(v, word(v)) for v in values)], default="",
                  message=message)


class FilterForm(Form):
    class Meta:
        csrf = False

    page = QueryNumber("Page", default=1)

    @classmethod
    def from_args(cls, stations=None):
        """The form read from the query string; `stations`: the viewer's, for a station select."""
        form = cls(formdata=request.args)
        if stations is not None:
            form.station_id.choices = [SelectChoice("", "all stations"),
                                       *(SelectChoice(s.id, s.name) for s in stations)]
        return form

    @property
    def page_number(self) -> int:
        return max(1, self.page.data or 1)

    def filters(self) -> dict:
        """The typed filters: each valid field's value; a refused one is its default (marked "(ignored)")."""
        self.validate()
        values = {}
        for name, field in self._fields.items():
            if name == "page":
                continue
            if field.errors:
                field.errors = [f"{' '.join(field.errors)} (ignored)"]
            values[name] = field.default if field.errors or field.data is None else field.data
        return values


class DayRangeForm(FilterForm):
    day_from = Day("From day")
    day_to = Day("To day")

    def validate_day_to(self, field) -> None:
        start = None if self.day_from.errors else self.day_from.data
        if start and field.data and field.data < start:
            raise ValidationError("To day is before the from day.")


class SearchForm(FilterForm):
    q = StringField("Search", default="", filters=[strip])


class ListFilterForm(SearchForm, DayRangeForm):
    """Search text and a day range: bookings, sessions, payments, the audit log."""


class BookingFilterForm(ListFilterForm):
    status = choice("Status", LIVE_STATUSES + FINAL_STATUSES, "any status",
                    f"Status is one of {', '.join(LIVE_STATUSES + FINAL_STATUSES)}.", kind="booking")
    station_id = StationChoice()


class SessionFilterForm(ListFilterForm):
    state = choice("State", ("active", "finished"), "all", "State is active or finished.", kind=None)
    station_id = StationChoice()


class PaymentFilterForm(ListFilterForm):
    kind = choice("Kind", PAYMENT_KINDS, "any kind", f"Kind is one of {', '.join(PAYMENT_KINDS)}.",
                  kind=None)
    status = choice("Status", PAYMENT_STATUSES, "any status", f"Status is one of {', '.join(PAYMENT_STATUSES)}.",
                    kind="payment")


class UserFilterForm(SearchForm):
    role = choice("Role", ROLES, "any role", f"Role is one of {', '.join(ROLES)}.", kind=None)
    state = choice("State", ("active", "suspended"), "any state", "State is active or suspended.", kind=None)


class AnalyticsFilterForm(DayRangeForm):
    station_id = StationChoice()
    days = QueryNumber("Days", default=None)

    def show_period(self, start: date, end: date) -> None:
        """Fill the day inputs that were not refused with the period the report used."""
        for field, value in ((self.day_from, start), (self.day_to, end)):
            if not field.errors:
                field.data, field.raw_data = value, []


class StationFilterForm(SearchForm):
    status = choice("Status", STATION_STATUSES, "any status", f"Status is one of {', '.join(STATION_STATUSES)}.",
                    kind="station")


class MaintenanceFilterForm(FilterForm):
    state = choice("State", WINDOW_STATES, "any state", f"State is one of {', '.join(WINDOW_STATES)}.",
                   kind="window")


class TimelineFilterForm(FilterForm):
    """A charger's status timeline (on its page)."""
    kind = choice("Event kind", EVENT_KINDS, "all events", "Event kind: choose one from the list.",
                  kind="event")


class MessageFilterForm(FilterForm):
    """A charger's OCPP log (its page refreshes itself with the same arguments)."""
    action = StringField("Action", default="", filters=[strip])
    all = BooleanField("Show up to 200 exchanges")
    periodic = BooleanField("Show Heartbeat and DataTransfer")
