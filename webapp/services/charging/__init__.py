"""Charging: what a charger drives over OCPP: transactions (Authorize, Start, MeterValues, Stop), metering,
the booking lifecycle the charger moves, server-initiated stops and their retries, stuck sessions, solar
reports, the write-behind of the OCPP hot path and its flush at shutdown, the live session and receipt
figures, and smart charging's pure parts (`power_plan`: the station's power shared between sessions;
`profiles`: the OCPP charging profiles that carry it) and the rest of it (`smart`: reading a charger's
Smart Charging keys and re-planning a station; `station_orders`: defaults, caps and clears; `profile_orders`:
sending them in a safe order). Uses: fleet, money, platform, and booking's arrival
grace and audit trail (`booking.grace`, `booking.trail`, which import no rule); the booking rules a charger sets off
(a fault cancels, a completion applies the app's rating) are announced through `platform.listeners`."""
