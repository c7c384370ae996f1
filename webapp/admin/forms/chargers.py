"""The charger forms: add one to a station, edit it, set the password its firmware came with."""
from wtforms import BooleanField, PasswordField, StringField

from ...forms.base import Form
from ...services.fleet.stations import PLUG_TYPES, REGISTRATION_STATUSES
from .fields import Between, Choice, Filled, Number, WholeNumber, stripped

PLUG_RULE = f"Plug type must be one of {', '.join(PLUG_TYPES)}."


class NewChargerForm(Form):
    """A new charger: its OCPP id, connectors, their power and plug (ranges and uniqueness: the service)."""

    cp_id = StringField("Charge point id", filters=[stripped])
    connectors = WholeNumber("Connectors", [Filled()], default=2)
    power_kw = Number("Power per connector (kW)", [Filled()], default=22)
    plug = Choice("Plug type", choices=PLUG_TYPES, message=PLUG_RULE, default="Type2")
    supports_reservation = BooleanField("Supports reservations (ReserveNow)", default=True)


class ChargerEditForm(Form):
    """Move a charger to one of your stations; heartbeat, reservations, registration."""

    station_id = Choice("Station", coerce=int, message="Choose one of your stations.")
    heartbeat_interval = WholeNumber("Heartbeat interval (seconds)", [Between(10, 86400)])
    registration_status = Choice("Registration", choices=REGISTRATION_STATUSES,
                                 message="Registration must be Accepted, Pending or Rejected.")
    supports_reservation = BooleanField("Supports reservations (ReserveNow)")

    @classmethod
    def for_charger(cls, charger, stations):
        """The form filled from the charger, offering `stations` (the ones you manage)."""
        form = cls(obj=charger)
        form.station_id.choices = [(s.id, s.name) for s in stations]
        return form


class ChargerPasswordForm(Form):
    """The password a charger's firmware came with (the rule is `services/fleet/charger_passwords.py`)."""

    password = PasswordField("Password")
