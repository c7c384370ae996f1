"""The station form: details, coordinates, timezone, weekly opening hours (station-local), tariff, solar, power
limit (with time-of-day windows) and the Standard mode's power."""
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length, Optional

from ...forms.base import Form
from ...services.errors import InvalidInput
from ...services.fleet import hours, power_limits
from ...services.fleet.stations import StationDetails
from .fields import Between, Number, WholeNumber, stripped

NAME_RULE = "Name is required (at most 120 characters)."


class StationForm(Form):
    """Create or edit a station; `details()` hands the service typed values."""

    name = StringField("Name", [DataRequired(NAME_RULE), Length(max=120, message=NAME_RULE)], filters=[stripped])
    address = StringField("Address", [Length(max=255, message="Address is at most 255 characters.")],
                          filters=[stripped])
    latitude = Number("Latitude", [Between(-90, 90)])
    longitude = Number("Longitude", [Between(-180, 180)])
    timezone = StringField("Timezone (IANA)", [DataRequired("Timezone is required, e.g. Asia/Kolkata.")],
                           filters=[stripped], default="Asia/Kolkata")
    always_open = BooleanField("Open 24/7")
    hours_mon, hours_tue, hours_wed, hours_thu, hours_fri, hours_sat, hours_sun = (
        StringField(day.capitalize(), filters=[stripped]) for day in hours.DAYS)
    tariff_id = WholeNumber("Tariff", [Optional()])
    solar_kw = Number("Solar capacity (kW)", [Optional(), Between(0, 10000)])
    power_limit_kw = Number("Station power limit (kW)", [Optional(), Between(0, 10000)])
    power_windows = StringField("Time-of-day limits", filters=[stripped])
    standard_kw = Number("Standard mode power (kW)", [Optional(), Between(1, 10000)])

    def validate_tariff_id(self, field) -> None:
        if field.errors:
            field.errors[:] = ["Choose an existing tariff."]

    def day_fields(self):
        """The seven opening-hours fields, Monday first."""
        return [self[f"hours_{day}"] for day in hours.DAYS]

    def validate(self, extra_validators=None) -> bool:
        """Fields first, then each day's ranges (their error goes next to that day)."""
        ok = super().validate(extra_validators)
        self.opening_hours = {}
        for day, field in zip(hours.DAYS, self.day_fields()):
            try:
                self.opening_hours.update(hours.parse_hours({day: field.data or ""}))
            except InvalidInput as exc:
                field.errors = [*field.errors, exc.message]
                ok = False
        try:
            self.windows = power_limits.parse_schedule(self.power_windows.data or "")
        except InvalidInput as exc:
            self.power_windows.errors = [*self.power_windows.errors, exc.message]
            ok = False
        return ok

    def details(self) -> StationDetails:
        """The validated values, typed (call after `validate`)."""
        return StationDetails(name=self.name.data, address=self.address.data or "", latitude=self.latitude.data,
                              longitude=self.longitude.data, timezone=self.timezone.data,
                              always_open=self.always_open.data, opening_hours=self.opening_hours,
                              tariff_id=self.tariff_id.data, solar_kw=self.solar_kw.data,
                              power_limit_kw=self.power_limit_kw.data, power_schedule=self.windows or None,
                              standard_kw=self.standard_kw.data)

    @classmethod
    def for_station(cls, station):
        """The form filled from a station (GET), or from the posted values (POST)."""
        data = {f"hours_{day}": text for day, text in hours.format_hours(station.opening_hours or {}).items()}
        data["power_windows"] = power_limits.format_schedule(station.power_schedule)
        return cls(obj=station, data=data)
