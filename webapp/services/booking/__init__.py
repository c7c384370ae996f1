"""Booking: holds, checkout and its idempotency, starting and stopping from the app (by booking, by charger
and connector, by scan), what the driver buys (quotas), reservations, the arrival grace, the timers that end a
booking, slots booked ahead and their life (reminder, ReserveNow, start, the guard of the connector, cancellation
policy, deposit, per-driver limit), and station ratings. Uses: charging, fleet, money, reports, platform.
What the charger's lifecycle asks of booking/ comes back through `platform.listeners` (`listeners.py`,
registered in create_app), never by charging/ importing a booking rule."""
