"""Charging: what a charger drives over OCPP: transactions (Authorize, Start, MeterValues, Stop), metering,
the booking lifecycle the charger moves, server-initiated stops and their retries, stuck sessions, solar
reports, the write-behind of the OCPP hot path and its flush at shutdown, and the live session and receipt
figures. Uses: fleet, money, platform."""
