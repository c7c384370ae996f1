"""The connector form (a row of the charger page): plug type and power."""
from ...forms.base import Form
from ...services.fleet.stations import PLUG_TYPES
from .chargers import PLUG_RULE
from .fields import Between, Choice, Number


class ConnectorForm(Form):
    """Add or change a connector."""

    plug_type = Choice("Plug type", choices=PLUG_TYPES, message=PLUG_RULE)
    max_power_kw = Number("Power (kW)", [Between(1, 400)], default=22)
