"""The console's "Show times in" setting: station time, or a zone of the staff member's own."""
from wtforms import RadioField, StringField, ValidationError

from ...forms.base import Form
from ...forms.validators import strip

CHOICES = [("station", "Station time"), ("mine", "My timezone")]


class ClockForm(Form):
    show_in = RadioField("Show times in", choices=CHOICES, default="station",
                         invalid_choice_message="Choose station time or my timezone.")
    zone = StringField("My timezone (IANA)", id="f-zone", filters=[strip])

    def validate_zone(self, field) -> None:
        """A zone is needed only for "my timezone" (the service checks that it exists)."""
        if self.show_in.data == "mine" and not field.data:
            raise ValidationError("Name your timezone, e.g. Asia/Kolkata or Europe/Berlin.")

    def chosen_zone(self) -> str | None:
        """The zone to save: None for station time."""
        return self.zone.data if self.show_in.data == "mine" else None
