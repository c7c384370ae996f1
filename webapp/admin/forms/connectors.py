"""The connector form (a row of the charger page): plug type, power and wiring (phases, volts per phase: what
turns a smart-charging limit in kW into amperes)."""
from wtforms.validators import Optional

from ...forms.base import Form
from ...services.fleet.stations import PLUG_TYPES
from .chargers import PLUG_RULE
from .fields import Between, Choice, Number


class ConnectorForm(Form):
    """Add or change a connector."""

    plug_type = Choice("Plug type", choices=PLUG_TYPES, message=PLUG_RULE)
    max_power_kw = Number("Power (kW)", [Between(1, 400)], default=22)
    # Blank keeps what the connector has (3 x 230 V for a new one).
    phases = Choice("Phases", [Optional()], choices=["", "1", "3"],
                    message="Phases must be 1 or 3.", default="")
    voltage = Number("Volts per phase", [Optional(), Between(100, 480)])

    def wiring(self) -> dict:
        """The wiring given ({} for none): phases and voltage as the services take them."""
        given = {"phases": int(self.phases.data) if self.phases.data else None, "voltage": self.voltage.data}
        return {k: v for k, v in given.items() if v is not None}
