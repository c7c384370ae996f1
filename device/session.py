"""Driver actions and the transaction life cycle of the simulated charger.

``SessionMixin`` is mixed into ``SimulatedCharger``; it expects ``connectors``,
``auto_plug``, ``plug_delay``, ``time_scale``, ``meter_interval``, ``battery_kwh``,
``soc_start`` and ``config`` on the instance, plus the ``OcppLink`` send methods and
``SmartChargingMixin.power_cap_kw``/``profile_store`` (the charging profiles' limit).

Physical sequence: authorise (remote start or card swipe) -> door unlocks, Preparing ->
EV plugged -> StartTransaction, Charging -> MeterValues every ``meter_interval`` ->
stop (remote, local, unplug, unlock, fault, reset) -> StopTransaction, door opens,
Finishing -> cable out and door closed -> Available (or Reserved/Unavailable). With
``unplug_delay`` set (the demo), the driver of a remote-started (booked) session pulls the
cable and closes the door that many seconds after it stops, as the card drivers of
``device.demo`` do.

Time scaling: ``time_scale`` speeds up the simulated world during a transaction. Energy
flows ``time_scale`` times faster, and so does the charger's clock for that transaction:
its MeterValues and StopTransaction are stamped ``start + elapsed x time_scale``
(``charger_time``), so energy / (stop - start) is the power the EV really drew and a
30x demo never looks like 660 kW on a 22 kW plug. Outside transactions the clock is real.
"""

from __future__ import annotations

import asyncio
import logging

from ocpp.v16 import call
from ocpp.v16.enums import AuthorizationStatus, ChargePointErrorCode, Reason

from device import physics
from device.connector import Connector, iso, utc_now

log = logging.getLogger("device")


class SessionMixin:
    """Plug, swipe, charge, stop and the physics tick, for every connector."""

    def connector(self, connector_id: int) -> Connector:
        try:
            return self.connectors[connector_id]
        except KeyError:
            raise ValueError(f"{self.id} has no connector {connector_id}") from None

    async def update_status(self, conn: Connector, force: bool = False) -> None:
        """Report the connector's status if it changed (or always, with ``force``)."""
        status = conn.derive_status()
        if status == conn.status and not force:
            return
        if status != conn.status:
            log.info("%s/%s: %s -> %s", self.id, conn.connector_id, conn.status, status)
        conn.status = status
        await self.send_status_notification(conn.connector_id, status, conn.error_code)

    # ---- driver actions ------------------------------------------------------------------
    async def plug_in(self, connector_id: int = 1, soc: float | None = None,
                      battery_kwh: float | None = None, ev_max_kw: float | None = None) -> bool:
        """Plug an EV in; False when the door is locked. Starts charging if a driver is authorised."""
        conn = self.connector(connector_id)
        if conn.cable_plugged:
            return True
        if conn.door_locked:
            log.info("%s/%s: cannot plug in, the door is locked", self.id, connector_id)
            return False
        conn.cable_plugged = True
        conn.ev = physics.EV(battery_kwh or self.battery_kwh,
                             self.soc_start if soc is None else soc, ev_max_kw)
        if conn.authorized_tag is not None and not conn.faulted:
            await self._start_transaction(conn)
        else:
            await self.update_status(conn)
        return True

    async def unplug(self, connector_id: int = 1) -> None:
        """Pull the cable out; a running transaction stops with reason EVDisconnected."""
        conn = self.connector(connector_id)
        if not conn.cable_plugged:
            return
        conn.cable_plugged = False
        if conn.transaction_id is not None:
            await self._stop_transaction(conn, Reason.ev_disconnected)
        conn.ev, conn.power_kw = None, 0.0
        await self.update_status(conn)

    async def open_door(self, connector_id: int = 1) -> None:
        conn = self.connector(connector_id)
        conn.door_locked = False
        await self.update_status(conn)

    async def close_door(self, connector_id: int = 1) -> None:
        conn = self.connector(connector_id)
        conn.door_locked = True
        await self.update_status(conn)

    async def finish(self, connector_id: int = 1) -> None:
        """The driver leaves: cable out, door closed."""
        await self.unplug(connector_id)
        await self.close_door(connector_id)

    async def swipe(self, id_tag: str, connector_id: int = 1) -> str:
        """Present a card: Authorize, then unlock and (once plugged) start; swiping again stops.

        Returns the idTagInfo status, or "Busy"/"Unavailable"/"Reserved" when the
        charger refuses locally without asking the server.
        """
        conn = self.connector(connector_id)
        if conn.transaction_id is not None:
            if conn.id_tag != id_tag:
                return "Busy"
            await self._stop_transaction(conn, Reason.local)
            return AuthorizationStatus.accepted
        if conn.faulted or not conn.operative:
            return "Unavailable"
        if conn.finishing or conn.authorized_tag not in (None, id_tag):
            return "Busy"
        if conn.reservation is not None and conn.reservation.id_tag != id_tag:
            return "Reserved"
        status = await self._authorize(id_tag)
        if status == AuthorizationStatus.accepted:
            await self.authorize_session(conn, id_tag, remote=False)
        return status

    async def stop_local(self, connector_id: int = 1, reason: str = Reason.local) -> None:
        """Stop the running transaction from the charger (stop button)."""
        await self._stop_transaction(self.connector(connector_id), reason)

    async def fault(self, connector_id: int = 1, error_code: str = ChargePointErrorCode.ground_failure,
                    info: str | None = None) -> None:
        """Report Faulted with ``error_code``; a running transaction stops with reason Other."""
        conn = self.connector(connector_id)
        conn.error_code = error_code
        conn.authorized_tag = None
        status = conn.derive_status()
        conn.status = status
        await self.send_status_notification(connector_id, status, error_code, info)
        await self._stop_transaction(conn, Reason.other)

    async def clear_fault(self, connector_id: int = 1) -> None:
        conn = self.connector(connector_id)
        conn.error_code = ChargePointErrorCode.no_error
        await self.update_status(conn)

    async def set_soc(self, connector_id: int, soc: float) -> None:
        """Set the plugged EV's state of charge (percent)."""
        conn = self.connector(connector_id)
        if conn.ev is None:
            raise ValueError(f"no EV plugged into {self.id}/{connector_id}")
        conn.ev.soc = max(0.0, min(100.0, float(soc)))
        await self.update_status(conn)

    def charger_time(self, conn: Connector):
        """The charger's clock for ``conn``: real, except during a transaction, where it runs
        ``time_scale`` times faster from the transaction's start (the simulated world's time)."""
        now = utc_now()
        if conn.started_at is None or self.time_scale == 1 or self.time_scale <= 0:  # 0: nothing flows, the clock is real
            return now
        return conn.started_at + (now - conn.started_at) * self.time_scale

    async def deliver(self, connector_id: int, wh: float, context: str = "Sample.Periodic") -> dict:
        """Push ``wh`` through the meter into the EV at once and report it in a MeterValues (tests script
        exact energies with this, with ``time_scale=0`` so nothing else flows). Returns the MeterValue sent."""
        conn = self.connector(connector_id)
        if conn.transaction_id is None:
            raise ValueError(f"no transaction on {self.id}/{connector_id}")
        stored = conn.ev.absorb(wh / 1000) if conn.ev is not None else 0.0
        conn.meter.add(stored * 1000)
        return await self.send_meter_values(connector_id, context)

    async def send_meter_values(self, connector_id: int = 1, context: str = "Sample.Periodic") -> dict:
        """Send one MeterValues of the connector's current reading with ``context`` (Sample.Clock,
        Interruption.Begin, ...); returns the MeterValue sent."""
        conn = self.connector(connector_id)
        if conn.transaction_id is not None:
            self._advance(conn)
        value = conn.meter_value(context, self.charger_time(conn))
        await self.send_transaction_message(call.MeterValues(
            connector_id=connector_id, transaction_id=conn.transaction_id, meter_value=[value]))
        return value

    # ---- transaction life cycle --------------------------------------------------------------
    async def _authorize(self, id_tag: str) -> str:
        if not self.can_send():
            return AuthorizationStatus.accepted  # LocalAuthorizeOffline / AllowOfflineTxForUnknownId
        result = await self.send(call.Authorize(id_tag=id_tag))
        if result is None:
            return AuthorizationStatus.accepted
        return result.id_tag_info["status"]

    async def authorize_session(self, conn: Connector, id_tag: str, remote: bool) -> None:
        """A driver may charge here: unlock, report Preparing, and start once the EV is plugged."""
        conn.authorized_tag, conn.authorized_remote = id_tag, remote
        reserved = conn.reservation is not None and conn.reservation.id_tag == id_tag
        conn.authorized_reservation = conn.reservation.reservation_id if reserved else None
        conn.door_locked = False
        if conn.cable_plugged:
            await self._start_transaction(conn)
            return
        await self.update_status(conn)
        if self.auto_plug:
            self.spawn(self._auto_plug(conn, id_tag))
        self.spawn(self._authorization_timeout(conn, id_tag))

    async def _auto_plug(self, conn: Connector, id_tag: str) -> None:
        await asyncio.sleep(self.plug_delay)
        if conn.authorized_tag == id_tag and not conn.cable_plugged:
            await self.plug_in(conn.connector_id)

    async def _authorization_timeout(self, conn: Connector, id_tag: str) -> None:
        """ConnectionTimeOut: forget a driver who never plugged in."""
        await asyncio.sleep(int(self.config["ConnectionTimeOut"]))
        if conn.authorized_tag == id_tag and conn.transaction_id is None and not conn.cable_plugged:
            conn.authorized_tag, conn.door_locked = None, True
            await self.update_status(conn)

    async def _start_transaction(self, conn: Connector) -> None:
        started = utc_now()
        placeholder = self.outbox.new_placeholder()
        id_tag, reservation_id = conn.authorized_tag, conn.authorized_reservation
        conn.remote_started = conn.authorized_remote
        conn.authorized_tag = conn.authorized_reservation = None
        conn.transaction_id, conn.id_tag, conn.started_at = placeholder, id_tag, started
        conn.meter_start = conn.meter.register
        conn.door_locked = True  # the cable is locked while charging
        conn.finishing = False
        self.drop_reservation(conn)
        conn.last_tick = asyncio.get_running_loop().time()
        conn.limit_kw = self.power_cap_kw(conn)
        conn.power_kw = physics.charging_power_kw(conn.available_kw(), conn.ev)
        result = await self.send_transaction_message(call.StartTransaction(
            connector_id=conn.connector_id, id_tag=id_tag, meter_start=conn.meter_start,
            timestamp=iso(started), reservation_id=reservation_id), placeholder=placeholder)
        if result is not None and result.id_tag_info["status"] != AuthorizationStatus.accepted:
            return  # transaction_answered() is stopping it with reason DeAuthorized
        if conn.started_at is started:
            await self.update_status(conn)
            self.spawn(self._meter_loop(conn, started))

    def transaction_answered(self, placeholder: int, result) -> None:
        """Adopt the server's transaction id; stop at once if the idTag was not accepted."""
        conn = next((c for c in self.connectors.values() if c.transaction_id == placeholder), None)
        if conn is None:
            return
        if result is None:  # refused with a CALLERROR: the server has no such transaction
            conn.transaction_id, conn.started_at, conn.power_kw = None, None, 0.0
            conn.finishing, conn.door_locked = True, False
            self.spawn(self.update_status(conn))
            return
        conn.transaction_id = result.transaction_id
        if result.id_tag_info["status"] != AuthorizationStatus.accepted:
            log.info("%s/%s: idTag %s not accepted", self.id, conn.connector_id, conn.id_tag)
            self.spawn(self._stop_transaction(conn, Reason.de_authorized))

    def _advance(self, conn: Connector) -> None:
        """Run the physics from the last tick until now (at the limit in force since that tick), then take
        the charging profiles' limit from now on."""
        now = asyncio.get_running_loop().time()
        dt, conn.last_tick = now - conn.last_tick, now
        ev = conn.ev if conn.cable_plugged else None
        physics.step(ev, conn.meter, conn.available_kw(), dt, self.time_scale)
        conn.limit_kw = self.power_cap_kw(conn)
        conn.power_kw = physics.charging_power_kw(conn.available_kw(), ev)

    async def _meter_loop(self, conn: Connector, started) -> None:
        while True:
            await asyncio.sleep(self.meter_interval)
            if conn.started_at is not started or conn.transaction_id is None:
                return
            self._advance(conn)
            payload = call.MeterValues(connector_id=conn.connector_id, transaction_id=conn.transaction_id,
                                       meter_value=[conn.meter_value(when=self.charger_time(conn))])
            await self.send_transaction_message(payload)
            await self.update_status(conn)  # Charging <-> SuspendedEV as the battery fills

    async def _stop_transaction(self, conn: Connector, reason: str):
        """End the running transaction: StopTransaction, door opens, Finishing."""
        transaction_id = conn.transaction_id
        if transaction_id is None:
            return None
        self._advance(conn)
        stopped = self.charger_time(conn)
        final = conn.meter_value("Transaction.End", when=stopped)
        id_tag, booked = conn.id_tag, conn.remote_started
        conn.transaction_id = conn.started_at = conn.id_tag = None
        conn.power_kw, conn.limit_kw, conn.remote_started = 0.0, None, False
        self.profile_store.end_transaction(transaction_id)
        conn.finishing, conn.door_locked = True, False
        log.info("%s/%s: stopping transaction %s (%s)", self.id, conn.connector_id, transaction_id, reason)
        result = await self.send_transaction_message(call.StopTransaction(
            meter_stop=conn.meter.register, timestamp=iso(stopped), transaction_id=transaction_id,
            reason=reason, id_tag=id_tag, transaction_data=[final]))
        await self.update_status(conn)
        if booked and self.unplug_delay is not None:
            self.spawn(self._driver_leaves(conn))
        return result

    async def _driver_leaves(self, conn: Connector) -> None:
        """A booked session stopped (quota, the driver's phone, a fault): the driver unplugs and closes
        the door after ``unplug_delay`` seconds, unless someone else took the connector meanwhile."""
        await asyncio.sleep(self.unplug_delay)
        if conn.transaction_id is None and conn.authorized_tag is None and conn.finishing:
            log.info("%s/%s: the driver unplugs and closes the door", self.id, conn.connector_id)
            await self.finish(conn.connector_id)

    def drop_reservation(self, conn: Connector) -> None:
        if conn.reservation is not None:
            if conn.reservation.timer is not None:
                conn.reservation.timer.cancel()
            conn.reservation = None
