"""The slot forms: a day to show at a station, and moving a booked slot to another time or connector."""
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from ...forms.base import Form
from .bookings import REASON_MESSAGE
from .fields import Choice, LocalDateTime, stripped
from .filters import Day, FilterForm


class DayForm(FilterForm):
    """?date=YYYY-MM-DD on the station's day view (blank or refused: today at the station)."""
    date = Day("Date")


def _connector_id(raw) -> int | None:
    if raw in (None, ""):
        return None
    return int(raw)  # a ValueError is the field's own message


class MoveSlotForm(Form):
    """Where a slot moves: a start on the station's wall clock, a connector of the station, and why."""

    starts_at = LocalDateTime("New start (station time)", message="Start: enter a date and time.")
    connector_id = Choice("Connector", coerce=_connector_id, message="Connector: choose one from the list.")
    reason = StringField("Reason (the driver sees it)", filters=[stripped],
                         validators=[DataRequired(REASON_MESSAGE), Length(max=150, message=REASON_MESSAGE)])

    @classmethod
    def for_slot(cls, booking, connectors, local_start=None, posted: bool = False):
        """The form offering `connectors`: the posted one, or filled with the slot's own connector and start."""
        form = cls() if posted else cls(formdata=None, connector_id=booking.connector_id, starts_at=local_start)
        form.connector_id.choices = [(c.id, f"{c.label} ({c.plug_type}, {c.max_power_kw:g} kW)") for c in connectors]
        return form
