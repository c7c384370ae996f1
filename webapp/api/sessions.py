"""The app's session API: start, battery updates, end, history, stats and the dashboard (camelCase fields)."""
from typing import Annotated, Literal

from flask import g
from pydantic import Field, model_validator

from ..services.booking import app_sessions
from ..services.reports import history
from ..timeutil import iso
from .blueprint import bp
from .contract import endpoint
from .resources import ConnectorNumber, CpId, Currency, Id, Money, Percent, Query, Session, Stars, Wire, examples


class SessionStart(Wire):
    model_config = examples(dependentRequired={"connectorId": ["chargerId"]})
    batteryLevelStart: Percent
    bookingId: Id = None
    stationId: Id = None
    chargerId: CpId = None
    connectorId: ConnectorNumber = None

    @model_validator(mode="after")
    def connector_of_a_charger(self):
        if "connectorId" in self.model_fields_set and "chargerId" not in self.model_fields_set:
            raise ValueError("connectorId needs chargerId")
        return self


class SessionUpdate(Wire):
    batteryLevel: Percent
    energyDelivered: Annotated[float, Field(ge=0, le=1000, description="kWh")] = None


class SessionEnd(Wire):
    sessionId: Id
    batteryLevelEnd: Percent
    stationRating: Stars = None


class HistoryQuery(Query):
    filter: Literal[tuple(history.FILTERS)] = "all-time"
    limit: Annotated[int, Field(ge=1, le=100)] = 50
    offset: Annotated[int, Field(ge=0, le=100000)] = 0


class Envelope(Wire):
    success: Literal[True]
    data: Session


class Month(Wire):
    month: Annotated[str, Field(pattern=r"^\d{4}-\d{2}$")]
    sessions: int
    energyUsed: Annotated[float, Field(description="kWh")]
    totalSpent: Money


class Stats(Wire):
    totalSessions: Annotated[int, Field(ge=0, description="finished sessions")]
    totalEnergyUsed: Annotated[float, Field(description="kWh")]
    totalSpent: Annotated[int, Field(description="money really taken (captures less refunds, settled debts)")]
    currency: Currency
    averageSessionDuration: Annotated[float, Field(description="minutes")]
    favoriteStation: Annotated[str | None, Field(description="the station's name")]
    monthlyUsage: Annotated[list[Month], Field(description="the last 12 months, oldest first")]


class SessionPage(Wire):
    sessions: list[Session]
    total: Annotated[int, Field(ge=0)]
    limit: int
    offset: int
    filter: str


class ActiveSession(Wire):
    session: Session | None


class StatsEnvelope(Wire):
    stats: Stats


class Dashboard(Wire):
    sessions: list[Session]
    stats: Stats
    activeSession: Session | None


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
            "note": s.note, "chargingMode": b.charging_mode, "solarFloorKw": b.solar_floor_kw}


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
          body=SessionStart, responses={201: ("Charging requested", Envelope)}, errors=(404, 409, 502),
          description="Sends RemoteStartTransaction for your live confirmed booking (or `bookingId`). "
                      "409 when a session is already active or there is no confirmed booking.")
def start_session(body):
    """Start an app session."""
    s = app_sessions.start(g.api_user, body.batteryLevelStart, body.bookingId, body.stationId, body.chargerId,
                           body.connectorId)
    return {"success": True, "data": session_json(s)}, 201


@bp.put("/charging/sessions/active/update")
@endpoint("Report the battery level (and the EV's energy counter, if known) of the active session",
          tags=["Sessions"],
          body=SessionUpdate,
          responses={200: ("The session with recomputed duration, energy, cost and power", Envelope)},
          errors=(404,),
          description="Energy comes from the charger's meter when it reports one, else from `energyDelivered`, "
                      "else from the battery levels and your own battery capacity; unknown without it.")
def update_active_session(body):
    """Battery update."""
    s = app_sessions.update(g.api_user, body.batteryLevel, body.energyDelivered)
    return {"success": True, "data": session_json(s)}


@bp.post("/charging/sessions/end")
@endpoint("End a session: stop charging if it still runs, note the final battery level and a rating",
          tags=["Sessions"],
          body=SessionEnd, responses={200: ("Ended (status `active` until the charger confirms the stop)", Envelope)},
          errors=(404, 409, 502))
def end_session(body):
    """End an app session."""
    s = app_sessions.end(g.api_user, body.sessionId, body.batteryLevelEnd, body.stationRating)
    return {"success": True, "data": session_json(s)}


@bp.get("/charging/sessions")
@endpoint("Your charging sessions, newest first", tags=["Sessions"], query=HistoryQuery,
          responses={200: ("A page of sessions", SessionPage)})
def list_sessions(query):
    """Session history."""
    rows, total = app_sessions.history_page(g.api_user, query.filter, query.limit, query.offset)
    return {"sessions": [session_json(app_sessions.describe(b)) for b in rows], "total": total,
            "limit": query.limit, "offset": query.offset, "filter": query.filter}


@bp.get("/charging/sessions/active")
@endpoint("Your active (or starting) session, or null", tags=["Sessions"],
          responses={200: ("The session", ActiveSession)})
def active_session():
    """The active session."""
    return {"session": _active_json()}


@bp.get("/charging/stats")
@endpoint("Totals and monthly usage over your charging sessions", tags=["Sessions"],
          responses={200: ("Statistics", StatsEnvelope)})
def charging_stats():
    """Usage statistics."""
    return {"stats": stats_json(g.api_user)}


@bp.get("/charging/dashboard")
@endpoint("Recent sessions, statistics and the active session at once", tags=["Sessions"],
          responses={200: ("The dashboard", Dashboard)})
def charging_dashboard():
    """Everything the app's home screen needs."""
    rows, _ = app_sessions.history_page(g.api_user, "all-time", 10, 0)
    return {"sessions": [session_json(app_sessions.describe(b)) for b in rows],
            "stats": stats_json(g.api_user), "activeSession": _active_json()}
