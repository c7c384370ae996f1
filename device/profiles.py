"""OCPP 1.6 smart charging maths for the simulator (§3.13, §5.5, §5.7, §5.16): pure functions, no asyncio.

A ``Profile`` is one installed charging profile. What a connector may draw at a moment is
its **composite** limit:

* the ChargePointMaxProfile (on connector 0) with the highest stack level that has a limit
  at that moment caps the whole charge point;
* for the connector, a TxProfile of its running transaction prevails over every
  TxDefaultProfile; among the TxDefaultProfiles (of the connector or of connector 0, for all
  connectors) the highest stack level that has a limit prevails (on equal stack levels the
  connector's own one);
* the composite is the lower of the two; ``None`` means nothing limits it.

A profile has a limit at ``at`` when ``validFrom <= at < validTo`` and ``at`` falls inside an
instance of its schedule: Absolute from ``startSchedule`` (the time it was installed when
absent), Relative from the transaction's start (the window's start when there is none),
Recurring from ``startSchedule`` + k days (Daily) or k weeks (Weekly), each instance lasting
``duration`` (or until the next one). The period whose ``startPeriod`` is the last one not
after the offset gives the limit. Limits in A become W with the period's ``numberPhases``
(else the connector's phases) at ``VOLTAGE`` volts per phase. A limit under the schedule's
``minChargingRate`` means the EV cannot charge that slowly: it pauses (0).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone

VOLTAGE = 230.0
CHARGE_POINT_MAX = "ChargePointMaxProfile"
TX_DEFAULT = "TxDefaultProfile"
TX = "TxProfile"
RECURRENCE = {"Daily": timedelta(days=1), "Weekly": timedelta(weeks=1)}


class ProfileRejected(ValueError):
    """A SetChargingProfile the charger refuses (answered Rejected); the message says why."""


def parse_time(value: str | None) -> datetime | None:
    """An OCPP date-time as an aware UTC datetime (a naive one is read as UTC)."""
    if value is None:
        return None
    when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)


@dataclass(frozen=True)
class Period:
    start: int  # seconds from the schedule's start
    limit: float  # in the schedule's unit
    phases: int | None = None


@dataclass(frozen=True)
class Profile:
    """One installed charging profile (what SetChargingProfile carried, read once)."""

    id: int
    connector_id: int
    stack_level: int
    purpose: str
    kind: str
    unit: str
    periods: tuple[Period, ...]
    transaction_id: int | None = None
    recurrency: str | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    start_schedule: datetime | None = None
    duration: int | None = None
    min_rate: float | None = None

    @classmethod
    def from_request(cls, connector_id: int, profile: dict, received: datetime) -> "Profile":
        """Read a ``csChargingProfiles`` in the ocpp library's snake_case; ProfileRejected if it is unusable."""
        schedule = profile["charging_schedule"]
        periods = tuple(Period(p["start_period"], float(p["limit"]), p.get("number_phases"))
                        for p in schedule["charging_schedule_period"])
        starts = [p.start for p in periods]
        if not periods or starts[0] != 0 or starts != sorted(set(starts)):
            raise ProfileRejected("periods must start at 0 and ascend")
        if any(p.limit < 0 for p in periods):
            raise ProfileRejected("a limit is negative")
        kind, start = profile["charging_profile_kind"], parse_time(schedule.get("start_schedule"))
        if kind == "Recurring" and (start is None or profile.get("recurrency_kind") not in RECURRENCE):
            raise ProfileRejected("a Recurring profile needs startSchedule and recurrencyKind")
        if kind == "Absolute" and start is None:
            start = received
        return cls(id=profile["charging_profile_id"], connector_id=connector_id,
                   stack_level=profile["stack_level"], purpose=profile["charging_profile_purpose"], kind=kind,
                   unit=schedule["charging_rate_unit"], periods=periods, transaction_id=profile.get("transaction_id"),
                   recurrency=profile.get("recurrency_kind"), valid_from=parse_time(profile.get("valid_from")),
                   valid_to=parse_time(profile.get("valid_to")), start_schedule=start,
                   duration=schedule.get("duration"), min_rate=schedule.get("min_charging_rate"))

    def valid(self, at: datetime) -> bool:
        return (self.valid_from is None or self.valid_from <= at) and (self.valid_to is None or at < self.valid_to)

    def instance_start(self, at: datetime, origin: datetime) -> datetime | None:
        """Start of the schedule instance ``at`` belongs to (``origin``: the transaction's start)."""
        if self.kind == "Relative":
            return origin
        if self.kind == "Absolute":
            return self.start_schedule
        step = RECURRENCE[self.recurrency]
        if at < self.start_schedule:
            return None
        return self.start_schedule + step * ((at - self.start_schedule) // step)

    def instance_length(self) -> float | None:
        """Seconds an instance lasts (None: for ever)."""
        cap = RECURRENCE[self.recurrency].total_seconds() if self.kind == "Recurring" else None
        if self.duration is None:
            return cap
        return self.duration if cap is None else min(self.duration, cap)

    def limit_at(self, at: datetime, origin: datetime) -> Period | None:
        """The period in force at ``at``, or None when the profile says nothing then."""
        if not self.valid(at):
            return None
        start = self.instance_start(at, origin)
        if start is None or at < start:
            return None
        offset, length = (at - start).total_seconds(), self.instance_length()
        if length is not None and offset >= length:
            return None
        return [p for p in self.periods if p.start <= offset][-1]

    def boundaries(self, begin: datetime, end: datetime, origin: datetime) -> set[datetime]:
        """Every moment in [begin, end) where this profile's limit may change."""
        moments = {t for t in (self.valid_from, self.valid_to) if t is not None}
        first = self.instance_start(begin, origin) or self.start_schedule or origin
        starts = [first]
        if self.kind == "Recurring":
            step = RECURRENCE[self.recurrency]
            while starts[-1] + step < end:
                starts.append(starts[-1] + step)
        length = self.instance_length()
        for start in starts:
            moments.update(start + timedelta(seconds=p.start) for p in self.periods)
            if length is not None:
                moments.add(start + timedelta(seconds=length))
        return {t for t in moments if begin <= t < end}


def to_watts(profile: Profile, period: Period, phases: int) -> float:
    """The period's limit in W (A times the phases times ``VOLTAGE``), 0 when under minChargingRate."""
    limit = period.limit
    if profile.min_rate is not None and 0 < limit < profile.min_rate:
        limit = 0.0
    if profile.unit == "A":
        return limit * VOLTAGE * (period.phases or phases)
    return limit


def from_watts(watts: float, unit: str, phases: int) -> float:
    """``watts`` in ``unit`` (W or A), rounded down to the 0.1 the OCPP schema allows."""
    value = watts if unit == "W" else watts / (VOLTAGE * phases)
    return int(value * 10 + 1e-6) / 10


@dataclass
class ProfileStore:
    """The profiles a charge point has installed, and the rules of SetChargingProfile/ClearChargingProfile."""

    max_stack_level: int = 8
    max_installed: int = 10
    max_periods: int = 24
    units: tuple[str, ...] = ("A", "W")
    profiles: list[Profile] = field(default_factory=list)

    def install(self, profile: Profile, transaction_id: int | None) -> Profile:
        """Add ``profile`` (replacing the same id, or the same stack level and purpose on the connector).

        ``transaction_id`` is the connector's running transaction: a TxProfile needs one (and the
        same one when it names it) and is bound to it. ProfileRejected when the charger refuses it.
        """
        if profile.stack_level < 0 or profile.stack_level > self.max_stack_level:
            raise ProfileRejected(f"stackLevel above ChargeProfileMaxStackLevel {self.max_stack_level}")
        if profile.unit not in self.units:
            raise ProfileRejected(f"chargingRateUnit {profile.unit} is not allowed here")
        if len(profile.periods) > self.max_periods:
            raise ProfileRejected(f"more than ChargingScheduleMaxPeriods {self.max_periods}")
        if profile.purpose == CHARGE_POINT_MAX and profile.connector_id != 0:
            raise ProfileRejected("ChargePointMaxProfile goes on connector 0")
        if profile.purpose == TX:
            if profile.connector_id == 0 or transaction_id is None or profile.transaction_id not in (None, transaction_id):
                raise ProfileRejected("TxProfile without a matching running transaction")
            profile = replace(profile, transaction_id=transaction_id)
        kept = [p for p in self.profiles if p.id != profile.id and not (
            p.connector_id == profile.connector_id and p.stack_level == profile.stack_level
            and p.purpose == profile.purpose)]
        if len(kept) >= self.max_installed:
            raise ProfileRejected(f"MaxChargingProfilesInstalled {self.max_installed} reached")
        self.profiles = kept + [profile]
        return profile

    def clear(self, profile_id=None, connector_id=None, purpose=None, stack_level=None) -> int:
        """ClearChargingProfile: by id alone, else by every criterion given (none: all). Returns how many went."""
        def matches(p: Profile) -> bool:
            if profile_id is not None:
                return p.id == profile_id
            return ((connector_id is None or p.connector_id == connector_id)
                    and (purpose is None or p.purpose == purpose)
                    and (stack_level is None or p.stack_level == stack_level))
        before = len(self.profiles)
        self.profiles = [p for p in self.profiles if not matches(p)]
        return before - len(self.profiles)

    def end_transaction(self, transaction_id: int) -> None:
        """A transaction stopped: its TxProfiles go with it."""
        self.profiles = [p for p in self.profiles if not (p.purpose == TX and p.transaction_id == transaction_id)]

    # ---- the composite ----------------------------------------------------------------------------
    def _prevailing(self, candidates, at, origin, phases, prefer_connector=None) -> float | None:
        best = None
        for p in candidates:
            period = p.limit_at(at, origin)
            if period is None:
                continue
            rank = (p.stack_level, p.connector_id == prefer_connector)
            if best is None or rank > best[0]:
                best = (rank, to_watts(p, period, phases))
        return None if best is None else best[1]

    def charge_point_max_w(self, at: datetime, origin: datetime, phases: int) -> float | None:
        """The charge point's cap at ``at`` in W (None: none)."""
        return self._prevailing([p for p in self.profiles if p.purpose == CHARGE_POINT_MAX], at, origin, phases)

    def connector_limit_w(self, connector_id: int, transaction_id: int | None, at: datetime,
                          origin: datetime, phases: int) -> float | None:
        """The Tx-level limit of one connector at ``at`` in W, before the charge point's cap (None: none)."""
        tx = [p for p in self.profiles if p.purpose == TX and p.connector_id == connector_id
              and transaction_id is not None and p.transaction_id == transaction_id]
        limit = self._prevailing(tx, at, origin, phases)
        if limit is not None:
            return limit
        defaults = [p for p in self.profiles if p.purpose == TX_DEFAULT and p.connector_id in (0, connector_id)]
        return self._prevailing(defaults, at, origin, phases, prefer_connector=connector_id)

    def composite_w(self, connector_id: int, transaction_id: int | None, at: datetime, origin: datetime,
                    phases: int) -> float | None:
        """What ``connector_id`` may draw at ``at`` in W: the lower of its Tx-level limit and the charge
        point's cap (connector 0: the cap alone); None when nothing limits it."""
        limits = [self.charge_point_max_w(at, origin, phases)]
        if connector_id:
            limits.append(self.connector_limit_w(connector_id, transaction_id, at, origin, phases))
        present = [v for v in limits if v is not None]
        return min(present) if present else None

    def composite_schedule(self, connector_id: int, transaction_id: int | None, begin: datetime, seconds: int,
                           origin: datetime | None, phases: int, max_w: float, unit: str) -> list[tuple[int, float]]:
        """GetCompositeSchedule's periods from ``begin`` for ``seconds``: [(startPeriod s, limit in ``unit``)],
        ``max_w`` (the hardware) where no profile limits, equal neighbours merged."""
        origin = origin or begin
        end = begin + timedelta(seconds=seconds)
        moments = {begin}
        for p in self.profiles:
            moments |= p.boundaries(begin, end, origin)
        periods: list[tuple[int, float]] = []
        for at in sorted(moments):
            watts = self.composite_w(connector_id, transaction_id, at, origin, phases)
            limit = from_watts(max_w if watts is None else min(watts, max_w), unit, phases)
            if not periods or periods[-1][1] != limit:
                periods.append((int((at - begin).total_seconds()), limit))
        return periods
