"""Booking: holds, checkout and its idempotency, starting and stopping from the app (by booking, by charger
and connector, by scan), what the driver buys (quotas), reservations, the arrival grace, the timers that end a
booking, and station ratings. Uses: charging, fleet, money, reports, accounts, platform."""
