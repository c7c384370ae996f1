"""Managing accounts from the console: search, roles, operators' stations, suspension."""
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from ... import params
from ...extensions import db
from ...models import ROLES, Booking, Station, User
from . import signouts
from ..errors import Conflict, InvalidInput
from ..booking.releases import release
from ..platform import audit, notifications
from ...timeutil import utcnow, zoned

USER_FIELDS = ("email", "role", "active")


def _snap(user: User) -> dict:
    """The part of an account the console changes, for the audit entry."""
    return {**audit.snapshot(user, USER_FIELDS), "station_ids": sorted(s.id for s in user.stations)}


def users_query(q: str = "", role: str = "", state: str = ""):
    """Accounts matching q (email, name, idTag, id), role and state (active|suspended), newest first."""
    query = select(User).options(selectinload(User.stations)).order_by(User.id.desc())
    if q:
        like = f"%{q.strip()}%"
        conditions = [User.email.ilike(like), User.name.ilike(like), User.id_tag.ilike(like)]
        if params.id_in(q) is not None:
            conditions.append(User.id == params.id_in(q))
        query = query.where(or_(*conditions))
    if role:
        query = query.where(User.role == role)
    if state == "active":
        query = query.where(User.active.is_(True))
    elif state == "suspended":
        query = query.where(User.active.is_(False))
    return query


def change_role(actor: User, user: User, role: str) -> User:
    """Set a user's role. You cannot change your own, so the acting admin always remains: there is never no admin."""
    if role not in ROLES:
        raise InvalidInput(f"Role must be one of {', '.join(ROLES)}.", {"field": "role"})
    if user.id == actor.id:
        raise Conflict("You cannot change your own role.")
    before = _snap(user)
    user.role = role
    if role != "operator":
        user.stations = []
    audit.log("user.role", "user", user.id, before, _snap(user))
    db.session.commit()
    return user


def assign_stations(user: User, station_ids: list[int]) -> User:
    """Replace the stations an operator manages."""
    if user.role != "operator":
        raise Conflict("Only operators are assigned stations (admins manage every station).")
    ids = set(station_ids)
    stations = list(db.session.execute(select(Station).where(Station.id.in_(ids))).scalars()) if ids else []
    if len(stations) != len(ids):
        raise InvalidInput("One of the chosen stations does not exist.", {"field": "station_ids"})
    before = _snap(user)
    user.stations = stations
    audit.log("user.stations", "user", user.id, before, _snap(user))
    db.session.commit()
    return user


def suspend(actor: User, user: User) -> int:
    """Suspend an account: it cannot log in or book, its open web sessions end, and bookings not yet started
    are cancelled and refunded. Returns how many bookings were cancelled."""
    if user.id == actor.id:
        raise Conflict("You cannot suspend yourself.")
    if not user.active:
        raise Conflict("This account is already suspended.")
    before = _snap(user)
    user.active = False
    signouts.end_everything(user)  # web sessions and API tokens: none of them comes back on reactivation
    pending = list(db.session.execute(select(Booking).where(Booking.user_id == user.id,
                                                            Booking.status.in_(("HELD", "CONFIRMED")))
                                      .with_for_update()).scalars())
    for booking in pending:
        release(booking, "CANCELLED", "account suspended")
        notifications.notify(user.id, "booking_cancelled", "Booking cancelled",
                             "Your account was suspended; your payment was released.", link=f"/bookings/{booking.id}")
    tz = notifications.latest_timezone(user.id)
    notifications.notify(user.id, "account_suspended", "Account suspended",
                         f"Your Chargeway account was suspended at {zoned(utcnow(), tz, '%d %b %Y, %H:%M')}. You "
                         "cannot sign in or book until it is restored"
                         + (f"; {len(pending)} booking(s) not yet started were cancelled and released." if pending
                            else "."), tz=tz)
    audit.log("user.suspend", "user", user.id, before, {**_snap(user), "bookings_cancelled": len(pending)})
    db.session.commit()
    return len(pending)


def reactivate(user: User) -> User:
    """Lift a suspension (and any login lock-out)."""
    if user.active:
        raise Conflict("This account is active.")
    before = _snap(user)
    user.active, user.failed_logins, user.locked_until = True, 0, None
    tz = notifications.latest_timezone(user.id)
    notifications.notify(user.id, "account_reactivated", "Account restored",
                         f"Your Chargeway account was restored at {zoned(utcnow(), tz, '%d %b %Y, %H:%M')}: you can "
                         "sign in and book again.", link="/", tz=tz)
    audit.log("user.reactivate", "user", user.id, before, _snap(user))
    db.session.commit()
    return user
