"""The maintenance window form: what it covers, and when, on the station's wall clock."""
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length

from ...forms.base import Form
from .fields import LocalDateTime, stripped


class WindowForm(Form):
    """Plan a window; the view resolves `target` ("station:3", "charger:7") against your stations and reads
    the times in that station's timezone."""

    target = StringField("Station or charger", [DataRequired("Choose a station or a charger.")])
    starts_at = LocalDateTime("Starts", message="Start: enter a date and time.")
    ends_at = LocalDateTime("Ends", message="End: enter a date and time.")
    reason = StringField("Reason (drivers see it)",
                         [Length(max=200, message="The reason is at most 200 characters.")],
                         filters=[stripped])
    #: The booked slots the operator saw in the warning and confirmed cancelling ("12,15"); blank: none yet.
    confirm_slots = HiddenField(filters=[stripped])

    def confirmed(self) -> set[int]:
        """The confirmed slot ids (anything that is not a list of ids confirms nothing: the warning comes back)."""
        parts = [p.strip() for p in (self.confirm_slots.data or "").split(",") if p.strip()]
        return {int(p) for p in parts} if all(p.isdigit() and len(p) < 10 for p in parts) else set()
