"""The station finder's form (GET): a typed place or the browser's position, and the filters. Its typed
values become `geo.Filters` and an origin; a refusal is shown next to the field it concerns."""
import math

from wtforms import BooleanField, SelectField, StringField, ValidationError

from ..forms.base import Form
from ..services.errors import InvalidInput
from ..services.fleet import geo

POWERS = (7, 22, 50, 100)
NOT_KW = "Minimum power must be a number of kW."


class FinderForm(Form):
    class Meta:
        csrf = False  # a search: nothing changes

    place = StringField("Or type a place")
    lat = StringField()
    lon = StringField()
    available = BooleanField("Available now", false_values=("", "0", "false"))
    open = BooleanField("Open now", false_values=("", "0", "false"))
    plug = SelectField("Plug type", validate_choice=False)
    min_kw = StringField("Minimum power")

    origin: tuple[float, float] | None = None
    place_name: str | None = None
    min_power: float | None = None

    def validate_place(self, field) -> None:
        """A typed place wins over the position; both are read by the geo service's own rules."""
        try:
            found = geo.resolve_place(field.data)
            if found:
                self.place_name, self.origin = found
            else:
                self.origin = geo.parse_position(self.lat.data or None, self.lon.data or None)
        except InvalidInput as exc:
            raise ValidationError(exc.message) from None

    def validate_min_kw(self, field) -> None:
        text = (field.data or "").strip()
        if not text:
            return
        try:
            value = float(text)
        except ValueError:
            raise ValidationError(NOT_KW) from None
        if not math.isfinite(value):
            raise ValidationError(NOT_KW)
        if not 0 <= value <= 1000:
            raise ValidationError("Minimum power must be between 0 and 1000 kW.")
        self.min_power = value

    def filters(self) -> geo.Filters:
        """The typed filters (a refused minimum power is left out: its message is shown)."""
        return geo.Filters(available=bool(self.available.data), plug=self.plug.data or None,
                           min_kw=self.min_power, open_now=bool(self.open.data))
