"""The app's session API: start, battery updates, end, history, stats and the dashboard (camelCase fields)."""
from flask import g

from ..services.booking import app_sessions
from ..services.reports import history
from ..timeutil import iso
from .blueprint import bp
from .schema import CONNECTOR_NUMBER, CP_ID, CURRENCY, DATETIME, ID, MONEY, PERCENT, endpoint, nullable, obj

SESSION_FIELDS = {
    "id": {**ID, "description": "the session id: the booking that holds this charge"},
    "transactionId": nullable({"type": "integer", "description": "the OCPP transaction, once started"}),
    "userId": ID, "stationId": ID, "stationName": {"type": "string"},
    "chargerId": CP_ID, "connectorId": CONNECTOR_NUMBER,
    "status": {"type": "string", "enum": ["starting", "active", "completed", "cancelled"]},
    "bookingStatus": {"type": "string"},
    "startTime": nullable(DATETIME), "endTime": nullable(DATETIME),
    "duration": {"type": "integer", "minimum": 0, "description": "minutes"},
    "energyDelivered": nullable({"type": "number", "description": "kWh; null when it cannot be known"}),
    "energySource": {"type": "string", "enum": ["meter", "vehicle", "estimate", "unknown"]},
    "totalCost": nullable({**MONEY, "description": "minor units; final only when costIsFinal"}),
    "costIsFinal": {"type": "boolean"}, "currency": CURRENCY,
    "averagePower": nullable({"type": "number", "description": "kW"}),
    "batteryLevel": nullable(PERCENT), "batteryLevelStart": nullable(PERCENT),
    "batteryCapacityKwh": nullable({"type": "number", "description": "your vehicle's, from your account"}),
    "stationRating": nullable({"type": "integer", "minimum": 1, "maximum": 5,
                               "description": "as given; it counts for the station once the session is complete"}),
    "note": nullable({"type": "string", "description": "how energy was obtained, or why it is unknown"}),
}
SESSION = obj(SESSION_FIELDS, required=tuple(SESSION_FIELDS))
ENVELOPE = obj({"success": {"type": "boolean", "const": True}, "data": SESSION}, required=("success", "data"))
MONTH = obj({"month": {"type": "string", "pattern": r"^\d{4}-\d{2}$"}, "sessions": {"type": "integer"},
             "energyUsed": {"type": "number", "description": "kWh"}, "totalSpent": MONEY},
            required=("month", "sessions", "energyUsed", "totalSpent"))
STATS = obj({
    "totalSessions": {"type": "integer", "minimum": 0, "description": "finished sessions"},
    "totalEnergyUsed": {"type": "number", "description": "kWh"},
    "totalSpent": {**MONEY, "description": "money really taken (captures less refunds, settled debts)"},
    "currency": CURRENCY,
    "averageSessionDuration": {"type": "number", "description": "minutes"},
    "favoriteStation": nullable({"type": "string", "description": "the station's name"}),
    "monthlyUsage": {"type": "array", "items": MONTH, "description": "the last 12 months, oldest first"},
}, required=("totalSessions", "totalEnergyUsed", "totalSpent", "currency", "averageSessionDuration",
             "favoriteStation", "monthlyUsage"))
HISTORY_QUERY = obj({
    "filter": {"type": "string", "enum": list(history.FILTERS), "default": "all-time"},
    "limit": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50},
    "offset": {"type": "integer", "minimum": 0, "maximum": 100000, "default": 0},
})


def session_json(s: app_sessions.AppSession) -> dict:
    """The wire form of an app session."""
    b, report, connector = s.booking, s.report, s.booking.connector
    return {"id": b.id, "transactionId": s.session.id if s.session else None, "userId": b.user_id,
            "stationId": connector.charger.station_id, "stationName": connector.charger.station.name,
            "chargerId": connector.charger.charge_point_id, "connectorId": connector.connector_id,
            "status": s.status, "bookingStatus": b.status, "startTime": iso(s.started_at), "endTime": iso(s.ended_at),
            "duration": s.duration_minutes,
            "energyDelivered": round(s.energy_wh / 1000, 3) if s.energy_wh is not None else None,
            "energySource": s.energy_source, "totalCost": s.cost, "costIsFinal": s.cost_is_final,
            "currency": b.currency, "averagePower": s.average_power_kw,
            "batteryLevel": report.battery_level if report else None,
            "batteryLevelStart": report.battery_level_start if report else None,
            "batteryCapacityKwh": b.user.battery_kwh,
            "stationRating": b.rating if b.rating is not None else (report.station_rating if report else None),
            "note": s.note}


def stats_json(user) -> dict:
    """The app's statistics, from the same totals and months as the history page."""
    totals, months = history.totals(user, "all-time"), history.monthly(user)
    return {"totalSessions": totals.sessions, "totalEnergyUsed": totals.energy_kwh, "totalSpent": totals.spent,
            "currency": app_sessions.currency_of(user), "averageSessionDuration": totals.average_minutes,
            "favoriteStation": totals.favourite_station,
            "monthlyUsage": [{"month": m.key, "sessions": m.sessions, "energyUsed": m.energy_kwh,
                              "totalSpent": m.spent} for m in months]}


def _active_json():
    booking = app_sessions.active_booking(g.api_user)
    return session_json(app_sessions.describe(booking)) if booking else None


@bp.post("/charging/sessions/start")
@endpoint("Start charging your confirmed booking and note the battery level", tags=["Sessions"],
          body=obj({"batteryLevelStart": PERCENT, "bookingId": ID, "stationId": ID, "chargerId": CP_ID,
                    "connectorId": CONNECTOR_NUMBER}, required=("batteryLevelStart",),
                   dependentRequired={"connectorId": ["chargerId"]}),
          responses={201: ("Charging requested", ENVELOPE)}, errors=(404, 409, 502),
          description="Sends RemoteStartTransaction for your live confirmed booking (or `bookingId`). "
                      "409 when a session is already active or there is no confirmed booking.")
def start_session(body):
    """Start an app session."""
    s = app_sessions.start(g.api_user, body["batteryLevelStart"], body.get("bookingId"), body.get("stationId"),
                           body.get("chargerId"), body.get("connectorId"))
    return {"success": True, "data": session_json(s)}, 201


@bp.put("/charging/sessions/active/update")
@endpoint("Report the battery level (and the EV's energy counter, if known) of the active session",
          tags=["Sessions"],
          body=obj({"batteryLevel": PERCENT,
                    "energyDelivered": {"type": "number", "minimum": 0, "maximum": 1000, "description": "kWh"}},
                   required=("batteryLevel",)),
          responses={200: ("The session with recomputed duration, energy, cost and power", ENVELOPE)},
          errors=(404,),
          description="Energy comes from the charger's meter when it reports one, else from `energyDelivered`, "
                      "else from the battery levels and your own battery capacity; unknown without it.")
def update_active_session(body):
    """Battery update."""
    s = app_sessions.update(g.api_user, body["batteryLevel"], body.get("energyDelivered"))
    return {"success": True, "data": session_json(s)}


@bp.post("/charging/sessions/end")
@endpoint("End a session: stop charging if it still runs, note the final battery level and a rating",
          tags=["Sessions"],
          body=obj({"sessionId": ID, "batteryLevelEnd": PERCENT,
                    "stationRating": {"type": "integer", "minimum": 1, "maximum": 5}},
                   required=("sessionId", "batteryLevelEnd")),
          responses={200: ("Ended (status `active` until the charger confirms the stop)", ENVELOPE)},
          errors=(404, 409, 502))
def end_session(body):
    """End an app session."""
    s = app_sessions.end(g.api_user, body["sessionId"], body["batteryLevelEnd"], body.get("stationRating"))
    return {"success": True, "data": session_json(s)}


@bp.get("/charging/sessions")
@endpoint("Your charging sessions, newest first", tags=["Sessions"], query=HISTORY_QUERY,
          responses={200: ("A page of sessions", obj({
              "sessions": {"type": "array", "items": SESSION}, "total": {"type": "integer", "minimum": 0},
              "limit": {"type": "integer"}, "offset": {"type": "integer"}, "filter": {"type": "string"}},
              required=("sessions", "total", "limit", "offset", "filter")))})
def list_sessions(query):
    """Session history."""
    rows, total = app_sessions.history_page(g.api_user, query["filter"], query["limit"], query["offset"])
    return {"sessions": [session_json(app_sessions.describe(b)) for b in rows], "total": total,
            "limit": query["limit"], "offset": query["offset"], "filter": query["filter"]}


@bp.get("/charging/sessions/active")
@endpoint("Your active (or starting) session, or null", tags=["Sessions"],
          responses={200: ("The session", obj({"session": nullable(SESSION)}, required=("session",)))})
def active_session():
    """The active session."""
    return {"session": _active_json()}


@bp.get("/charging/stats")
@endpoint("Totals and monthly usage over your charging sessions", tags=["Sessions"],
          responses={200: ("Statistics", obj({"stats": STATS}, required=("stats",)))})
def charging_stats():
    """Usage statistics."""
    return {"stats": stats_json(g.api_user)}


@bp.get("/charging/dashboard")
@endpoint("Recent sessions, statistics and the active session at once", tags=["Sessions"],
          responses={200: ("The dashboard", obj({
              "sessions": {"type": "array", "items": SESSION}, "stats": STATS, "activeSession": nullable(SESSION)},
              required=("sessions", "stats", "activeSession")))})
def charging_dashboard():
    """Everything the app's home screen needs."""
    rows, _ = app_sessions.history_page(g.api_user, "all-time", 10, 0)
    return {"sessions": [session_json(app_sessions.describe(b)) for b in rows],
            "stats": stats_json(g.api_user), "activeSession": _active_json()}
