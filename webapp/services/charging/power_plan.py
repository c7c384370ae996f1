"""The station's power plan: one limit per live session, so their sum never exceeds the station's limit.

Pure (no database, no Flask): the caller reads the station and its sessions, calls ``plan()``, and sends
only what ``changes()`` returns as charging profiles.

Rules, in order:

* A session may take at most its **cap**: the connector's maximum, the EV's maximum when known, and for
  Standard the station's standard power (``mode_cap_kw``).
* **Solar** sessions share the solar surplus fairly (water-filling over their caps); each may take at
  most its share, but never less than the floor its driver accepted.
* Every session first gets its **floor** (``floor_kw``, at most its cap); what the station limit leaves
  is shared fairly by **water-filling**: every session rises to one common level, clamped between its
  floor and its cap, so nobody gets more than its cap and what one cannot take goes to the others.
* When the floors alone exceed the limit, **first come, first served**: sessions are admitted oldest
  first (``started_at``, then id) while their floor still fits; one whose floor does not fit **waits at
  0** (paused, listed in ``Plan.waiting``; a later session with a smaller floor may still fit). A
  session paused at 0 rather than given less than its floor, because a floor is the least the driver
  agreed to (and an EV may not charge below some minimum at all).
* With no station limit (``None``) everyone gets its cap.

``changes()`` is the hysteresis: only limits that moved by more than a threshold are sent, except that
pauses and resumes always go out, and decreases go out whenever keeping an old limit would break the
station limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Hashable, Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo

FAST, STANDARD, SOLAR = "fast", "standard", "solar"
MODES = (FAST, STANDARD, SOLAR)
EPSILON = 1e-9


@dataclass(frozen=True)
class Session:
    """One live session as the planner sees it (kW throughout)."""

    id: Hashable
    connector_max_kw: float
    mode: str = FAST
    floor_kw: float = 0.0
    ev_max_kw: float | None = None
    mode_cap_kw: float | None = None  # Standard: the station's standard power
    started_at: datetime | None = None
    sent_kw: float | None = None  # the limit last sent to the charger (None: none yet)

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"unknown charging mode {self.mode!r}")

    @property
    def cap_kw(self) -> float:
        caps = [self.connector_max_kw, self.ev_max_kw, self.mode_cap_kw if self.mode == STANDARD else None]
        return max(0.0, min(c for c in caps if c is not None))


@dataclass(frozen=True)
class LimitWindow:
    """A station limit for a time of day in the station's zone; ``end <= start`` runs across midnight."""

    start: time
    end: time
    kw: float

    def covers(self, local: time) -> bool:
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


@dataclass(frozen=True)
class Plan:
    limits: dict = field(default_factory=dict)  # session id -> kW
    waiting: tuple = ()  # ids whose floor did not fit: held at 0


def station_limit_kw(default_kw: float | None, windows: Sequence[LimitWindow], at: datetime,
                     timezone: str) -> float | None:
    """The station's limit at ``at`` (aware): the lowest window covering that local time of day, else the default."""
    local = at.astimezone(ZoneInfo(timezone)).time()
    covering = [w.kw for w in windows if w.covers(local)]
    return min(covering) if covering else default_kw


def next_change(windows: Sequence[LimitWindow], at: datetime, timezone: str) -> datetime | None:
    """The first moment after ``at`` (aware, UTC out) when a window starts or ends on the station's clock, so
    the limit may change then; None without windows. DST-aware: the local times are placed on the station's
    calendar days and converted one by one."""
    zone = ZoneInfo(timezone)
    today = at.astimezone(zone).date()
    moments = (datetime.combine(today + timedelta(days=d), edge, tzinfo=zone).astimezone(UTC)
               for d in (0, 1, 2) for w in windows for edge in (w.start, w.end))
    return min((m for m in moments if m > at), default=None)


def water_fill(total: float, bounds: Sequence[tuple[float, float]]) -> list[float]:
    """Share ``total`` over items bounded (low, high): each gets ``clamp(level, low, high)`` for the one level
    that spends ``total`` (all highs when they fit; all lows when the total is under their sum)."""
    if not bounds:
        return []
    def spent(level):
        return sum(min(max(level, lo), hi) for lo, hi in bounds)
    if spent(max(hi for _, hi in bounds)) <= total:
        return [hi for _, hi in bounds]
    points = sorted({v for pair in bounds for v in pair})
    level = points[0]
    for low, high in zip(points, points[1:]):
        if spent(high) >= total:
            rising = sum(1 for lo, hi in bounds if lo <= low and hi >= high)
            level = low + (total - spent(low)) / rising if rising else low
            break
    return [min(max(level, lo), hi) for lo, hi in bounds]


def _arrival(session: Session):
    return (session.started_at is None, session.started_at or datetime.min, str(session.id))


def plan(limit_kw: float | None, sessions: Iterable[Session], solar_surplus_kw: float = 0.0) -> Plan:
    """The limit of every session (see the module's rules); the same input always gives the same plan."""
    ordered = sorted(sessions, key=_arrival)
    caps = {s.id: s.cap_kw for s in ordered}
    solar = [s for s in ordered if s.mode == SOLAR]
    shares = water_fill(max(0.0, solar_surplus_kw), [(0.0, caps[s.id]) for s in solar])
    for s, share in zip(solar, shares):
        caps[s.id] = max(min(s.floor_kw, caps[s.id]), share)
    floors = {s.id: min(max(0.0, s.floor_kw), caps[s.id]) for s in ordered}
    if limit_kw is None:
        return Plan(limits={s.id: caps[s.id] for s in ordered})
    room, served, waiting = max(0.0, limit_kw), [], []
    for s in ordered:
        if floors[s.id] <= room + EPSILON:
            served.append(s)
            room -= floors[s.id]
        else:
            waiting.append(s.id)
    levels = water_fill(max(0.0, limit_kw), [(floors[s.id], caps[s.id]) for s in served])
    limits = {s.id: 0.0 for s in ordered}
    limits.update({s.id: level for s, level in zip(served, levels)})
    return Plan(limits=limits, waiting=tuple(waiting))


def changes(old: Mapping, new: Mapping, threshold_kw: float, limit_kw: float | None = None) -> dict:
    """The limits of ``new`` worth sending over ``old`` (what the chargers have now): new sessions, pauses
    and resumes, moves above ``threshold_kw``, and then, largest first, the decreases needed for the
    limits in force to stay within ``limit_kw``."""
    send = {}
    for sid, kw in new.items():
        before = old.get(sid)
        if before is None or (kw <= EPSILON) != (before <= EPSILON) or abs(kw - before) > threshold_kw:
            send[sid] = kw
    if limit_kw is not None:
        def in_force():
            return sum(send.get(sid, old.get(sid, kw)) for sid, kw in new.items())
        held = sorted((sid for sid in new if sid not in send and old[sid] > new[sid]),
                      key=lambda sid: (new[sid] - old[sid], str(sid)))
        for sid in held:
            if in_force() <= limit_kw + EPSILON:
                break
            send[sid] = new[sid]
    return send


def sent_plan(sessions: Iterable[Session]) -> dict:
    """What the chargers have now ({id: kW}), from each session's ``sent_kw`` (sessions never sent are left out)."""
    return {s.id: s.sent_kw for s in sessions if s.sent_kw is not None}


def idle_defaults(limit_kw: float, planned_kw: float, idle: Mapping) -> dict:
    """The TxDefaultProfile of each idle connector ({id: kW}) from ``idle`` ({id: connector max kW}): what
    the limit leaves after the planned sessions, shared fairly, so that chargers starting on their own all at
    once still stay within the limit (0 when the sessions take it all: a new one waits for its TxProfile)."""
    ids = sorted(idle, key=str)
    levels = water_fill(max(0.0, limit_kw - planned_kw), [(0.0, idle[i]) for i in ids])
    return dict(zip(ids, levels))


def worth_sending(before: float | None, after: float, threshold_kw: float) -> bool:
    """A default or charger cap to send over ``before`` (None: none of ours): any lower (the limit depends
    on it), higher only past the threshold (no flapping), and 0 versus not 0 always."""
    if before is None:
        return True
    if (after <= EPSILON) != (before <= EPSILON):
        return True
    return after < before - 0.05 or after > before + threshold_kw
