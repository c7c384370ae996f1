"""The slot part of a booking's console page: its time on the station's clock, and the move and cancel forms."""
from ..services.booking import slot_staff
from ..services.fleet import hours
from .forms.bookings import StaffReasonForm
from .forms.slots import MoveSlotForm


def panel(booking, move_form: MoveSlotForm | None = None, cancel_form: StaffReasonForm | None = None) -> dict:
    """Template values for `admin/bookings/_slot.html` (slot=None for an immediate hold)."""
    if booking.slot_start is None:
        return {"slot": None}
    station = booking.connector.charger.station
    local = hours.local_now(station, booking.slot_start).replace(tzinfo=None)
    return {"slot": {
        "movable": booking.status in slot_staff.MOVABLE,
        "cancellable": booking.status in slot_staff.MOVABLE,  # a slot that has begun: the booking's own cancel
        "move_form": move_form or MoveSlotForm.for_slot(booking, slot_staff.connectors_for(booking), local),
        "cancel_form": cancel_form or StaffReasonForm(formdata=None),
        "zone": station.timezone,
    }}
