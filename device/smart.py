"""The simulated charger's Smart Charging feature profile (OCPP 1.6 §3.13): SetChargingProfile,
ClearChargingProfile and GetCompositeSchedule, and the power cap they put on each connector.

``SmartChargingMixin`` is mixed into ``SimulatedCharger``; the schedule maths is ``device.profiles``.
Schedules run on real UTC time (not the time-scaled transaction clock), as the server that sent them does.
A ChargePointMaxProfile caps the whole charge point: the connectors with a transaction share it, each up
to its own limit, what one cannot use going to the others. A charger built with ``smart_charging=False`` does not list SmartCharging in
SupportedFeatureProfiles nor report its keys, and answers (CALLRESULTs the ocpp library's server side
reads like any other answer) SetChargingProfile NotSupported, ClearChargingProfile Unknown and
GetCompositeSchedule Rejected.
"""

from __future__ import annotations

from ocpp.routing import on
from ocpp.v16 import call_result
from ocpp.v16.enums import (Action, ChargingProfileStatus, ClearChargingProfileStatus,
                            GetCompositeScheduleStatus)

from device.connector import Connector, iso, utc_now
from device.link import log
from device.profiles import ProfileRejected, ProfileStore, Profile

SMART_KEYS = ("ChargeProfileMaxStackLevel", "ChargingScheduleAllowedChargingRateUnit",
              "ChargingScheduleMaxPeriods", "MaxChargingProfilesInstalled")
UNIT_NAMES = {"Current": "A", "Power": "W"}


class SmartChargingMixin:
    """Installed profiles, their handlers, and the cap they put on each connector's power."""

    def setup_smart_charging(self, enabled: bool, rate_units: str = "Current,Power", max_stack_level: int = 8,
                             max_profiles: int = 10, max_periods: int = 24) -> None:
        """Build the profile store and report its configuration keys (none when ``enabled`` is off)."""
        units = tuple(UNIT_NAMES[u.strip()] for u in rate_units.split(",") if u.strip())
        self.smart_charging = enabled
        self.profile_store = ProfileStore(max_stack_level, max_profiles, max_periods, units)
        if not enabled:
            return
        self.config["SupportedFeatureProfiles"] += ",SmartCharging"
        self.config.update({"ChargeProfileMaxStackLevel": str(max_stack_level),
                            "ChargingScheduleAllowedChargingRateUnit": rate_units,
                            "ChargingScheduleMaxPeriods": str(max_periods),
                            "MaxChargingProfilesInstalled": str(max_profiles)})

    # ---- the cap ------------------------------------------------------------------------------
    @staticmethod
    def _running(conn: Connector) -> int | None:
        """The connector's transaction id once the server gave it (a local placeholder is not one)."""
        return conn.transaction_id if (conn.transaction_id or 0) > 0 else None

    def power_cap_kw(self, conn: Connector) -> float | None:
        """What the profiles let ``conn`` draw now, in kW (None: nothing limits it)."""
        now = utc_now()
        own = self._own_limit_w(conn, now)
        cap = self.profile_store.charge_point_max_w(now, conn.started_at or now, conn.meter_format.phases)
        if cap is not None:
            share = self._cap_shares(cap, now).get(conn.connector_id, cap)
            own = share if own is None else min(own, share)
        return None if own is None else own / 1000

    def _own_limit_w(self, conn: Connector, now) -> float | None:
        return self.profile_store.connector_limit_w(conn.connector_id, self._running(conn), now,
                                                    conn.started_at or now, conn.meter_format.phases)

    def _cap_shares(self, cap_w: float, now) -> dict[int, float]:
        """The ChargePointMaxProfile shared between the connectors with a transaction: each may take up to
        its own limit (its TxProfile or TxDefaultProfile, its hardware), what one cannot use goes to the
        others (water-filling, as a charger's load balancing does)."""
        wants = {}
        for c in self.connectors.values():
            if c.transaction_id is not None:
                own = self._own_limit_w(c, now)
                wants[c.connector_id] = min(c.max_power_kw * 1000, own if own is not None else float("inf"))
        shares, left = {}, cap_w
        for n, (number, want) in enumerate(sorted(wants.items(), key=lambda kv: kv[1])):
            shares[number] = min(want, left / (len(wants) - n))
            left -= shares[number]
        return shares

    def rebalance(self, change=None) -> None:
        """Apply ``change`` to the profiles between two physics ticks of every running connector, so the
        energy so far flows at the old limits and the power from now on follows the new ones."""
        running = [c for c in self.connectors.values() if c.transaction_id is not None]
        for conn in running:
            self._advance(conn)
        if change is not None:
            change()
        for conn in running:
            self._advance(conn)
            self.later(self.update_status(conn))

    # ---- server-initiated CALLs ----------------------------------------------------------------
    @on(Action.set_charging_profile)
    def on_set_charging_profile(self, connector_id, cs_charging_profiles, **kwargs):
        if not self.smart_charging:
            return call_result.SetChargingProfile(status=ChargingProfileStatus.not_supported)
        conn = self.connectors.get(connector_id)
        try:
            if connector_id != 0 and conn is None:
                raise ProfileRejected(f"no connector {connector_id}")
            profile = Profile.from_request(connector_id, cs_charging_profiles, utc_now())
            tx = self._running(conn) if conn is not None else None
            self.rebalance(lambda: self.profile_store.install(profile, tx))
        except ProfileRejected as exc:
            log.info("%s: SetChargingProfile rejected: %s", self.id, exc)
            return call_result.SetChargingProfile(status=ChargingProfileStatus.rejected)
        return call_result.SetChargingProfile(status=ChargingProfileStatus.accepted)

    @on(Action.clear_charging_profile)
    def on_clear_charging_profile(self, id=None, connector_id=None, charging_profile_purpose=None,
                                  stack_level=None, **kwargs):
        removed = []
        if self.smart_charging:
            self.rebalance(lambda: removed.append(self.profile_store.clear(
                id, connector_id, charging_profile_purpose, stack_level)))
        status = ClearChargingProfileStatus.accepted if removed and removed[0] else ClearChargingProfileStatus.unknown
        return call_result.ClearChargingProfile(status=status)

    @on(Action.get_composite_schedule)
    def on_get_composite_schedule(self, connector_id, duration, charging_rate_unit=None, **kwargs):
        store = self.profile_store
        unit = charging_rate_unit or ("W" if "W" in store.units else "A")
        if (not self.smart_charging or unit not in store.units or duration < 0
                or (connector_id != 0 and connector_id not in self.connectors)):
            return call_result.GetCompositeSchedule(status=GetCompositeScheduleStatus.rejected)
        conns = [self.connectors[connector_id]] if connector_id else list(self.connectors.values())
        begin = utc_now().replace(microsecond=0)
        max_w = sum(c.max_power_kw for c in conns) * 1000
        conn = conns[0]
        periods = store.composite_schedule(
            connector_id, self._running(conn) if connector_id else None, begin, duration,
            conn.started_at if connector_id else None, conn.meter_format.phases, max_w, unit)
        schedule = {"duration": duration, "start_schedule": iso(begin), "charging_rate_unit": unit,
                    "charging_schedule_period": [{"start_period": s, "limit": v} for s, v in periods]}
        return call_result.GetCompositeSchedule(status=GetCompositeScheduleStatus.accepted,
                                                connector_id=connector_id, schedule_start=iso(begin),
                                                charging_schedule=schedule)
