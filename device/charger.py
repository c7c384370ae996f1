"""A simulated OCPP 1.6J charge point: one ``@on`` handler per server-initiated action.

Mirrors the server's handlers: each handler checks the request against the connector
state, answers at once with the ``call_result`` dataclass, and hands follow-up CALLs
(StartTransaction, StatusNotification, ...) to ``self.later()`` so they go out after
the answer. Driver actions and physics live in ``device.session``; the socket, boot,
heartbeat and offline queue in ``device.link``.

Solar production
----------------
When ``solar_kw > 0`` the charger sends, every ``meter_interval`` seconds while booted::

    DataTransfer(vendorId="Chargeway", messageId="SolarProduction",
                 data='{"kw": 3.2, "timestamp": "2025-06-01T12:00:00.000Z"}')

``kw`` is the array's instantaneous output; it follows a sine bell between 06:00 and
20:00 host-local time unless ``solar_follow_sun=False`` (then it is ``solar_kw`` flat).
"""

from __future__ import annotations

import asyncio
import json
import os
from datetime import datetime, timezone

from ocpp.routing import on
from ocpp.v16 import call, call_result
from ocpp.v16.enums import (Action, AuthorizationStatus, AvailabilityStatus, AvailabilityType,
                            CancelReservationStatus, ChargePointStatus, ConfigurationStatus,
                            DataTransferStatus, MessageTrigger, Reason, RemoteStartStopStatus,
                            ReservationStatus, ResetType, TriggerMessageStatus, UnlockStatus)

from device import physics
from device.connector import Connector, Reservation, iso, utc_now
from device.link import OcppLink, log
from device.meter import MeterFormat
from device.session import SessionMixin
from device.smart import SMART_KEYS, SmartChargingMixin

VENDOR_ID = "Chargeway"
READ_ONLY_KEYS = {"NumberOfConnectors", "SupportedFeatureProfiles", "ReserveConnectorZeroSupported",
                  "GetConfigurationMaxKeys", "MeterValuesSampledDataMaxLength", *SMART_KEYS}
INTEGER_KEYS = {"HeartbeatInterval", "MeterValueSampleInterval", "ConnectionTimeOut",
                "ClockAlignedDataInterval", "ResetRetries", "TransactionMessageAttempts",
                "TransactionMessageRetryInterval"}
BOOLEAN_KEYS = {"AuthorizeRemoteTxRequests", "LocalAuthorizeOffline", "LocalPreAuthorize",
                "AllowOfflineTxForUnknownId", "StopTransactionOnEVSideDisconnect",
                "StopTransactionOnInvalidId", "UnlockConnectorOnEVSideDisconnect",
                "AuthorizationCacheEnabled"}


class SimulatedCharger(SmartChargingMixin, SessionMixin, OcppLink):
    """One charge point: 1..n connectors with doors, EVs, meters, solar, Smart Charging (``device.smart``)."""

    def __init__(self, cp_id, base_url, password=None, connectors=1, vendor="Chargeway",
                 model="SimCharger", supports_reservation=True, max_power_kw=22.0,
                 battery_kwh=60.0, soc_start=30.0, solar_kw=0.0, meter_interval=10.0,
                 time_scale=1.0, auto_plug=True, plug_delay=0.2, response_timeout=10.0,
                 heartbeat_interval=None, serial_number=None, firmware_version="1.0.0",
                 solar_follow_sun=True, connection_timeout=90, unplug_delay=None, meter_format=None,
                 meter_wh=None, passwords_file=None, smart_charging=True, charging_rate_units="Current,Power",
                 max_profiles=10):
        super().__init__(cp_id, base_url, password=password, response_timeout=response_timeout,
                         heartbeat_interval=heartbeat_interval)
        # Where a provisioned AuthorizationKey is kept ({"cp_id": "password"}), so a restart uses it too.
        self.passwords_file = passwords_file
        self.vendor, self.model = vendor[:20], model[:20]
        self.serial_number = (serial_number or f"SN-{cp_id}")[:25]
        self.firmware_version = firmware_version[:50]
        self.supports_reservation = supports_reservation
        self.battery_kwh, self.soc_start = battery_kwh, soc_start
        self.meter_interval, self.time_scale = meter_interval, time_scale
        self.auto_plug, self.plug_delay = auto_plug, plug_delay
        self.unplug_delay = unplug_delay  # None: a booked session's EV stays plugged until told to leave
        self.solar = physics.Solar(solar_kw, follow_sun=solar_follow_sun)
        self.firmware_status, self.diagnostics_status = "Idle", "Idle"
        self._solar_task: asyncio.Task | None = None
        self.connectors = {n: Connector(n, max_power_kw, meter_format=meter_format or MeterFormat())
                           for n in range(1, connectors + 1)}
        if meter_wh is not None:  # a meter that starts elsewhere than the default register (a new one: 0)
            for conn in self.connectors.values():
                conn.meter.wh = float(meter_wh)
        profiles = "Core,FirmwareManagement," + ("Reservation," if supports_reservation else "") + "RemoteTrigger"
        self.config = {
            "AllowOfflineTxForUnknownId": "true", "AuthorizationCacheEnabled": "false",
            "AuthorizeRemoteTxRequests": "false", "ClockAlignedDataInterval": "0",
            "ConnectionTimeOut": str(connection_timeout), "GetConfigurationMaxKeys": "50",
            "LocalAuthorizeOffline": "true", "LocalPreAuthorize": "false",
            "MeterValuesAlignedData": "", "MeterValuesSampledData":
                "Energy.Active.Import.Register,Power.Active.Import,SoC",
            "MeterValuesSampledDataMaxLength": "3", "NumberOfConnectors": str(connectors),
            "ResetRetries": "1", "StopTransactionOnEVSideDisconnect": "true",
            "StopTransactionOnInvalidId": "true", "StopTxnAlignedData": "",
            "StopTxnSampledData": "Energy.Active.Import.Register", "SupportedFeatureProfiles": profiles,
            "TransactionMessageAttempts": "3", "TransactionMessageRetryInterval": "10",
            "UnlockConnectorOnEVSideDisconnect": "true",
        }
        if supports_reservation:
            self.config["ReserveConnectorZeroSupported"] = "false"
        self.setup_smart_charging(smart_charging, charging_rate_units, max_profiles=max_profiles)
        # Scripted ReserveNow answers per connector (tests): {1: "Occupied"} answers Occupied on
        # connector 1 whatever its state, and reserves nothing.
        self.reserve_now_answers: dict[int, str] = {}

    def script_reserve_now(self, connector_id: int, status: str | None) -> None:
        """Answer ReserveNow on ``connector_id`` with ``status`` from now on (None: decide from the state)."""
        if status is None:
            self.reserve_now_answers.pop(connector_id, None)
        else:
            self.reserve_now_answers[connector_id] = ReservationStatus(status)

    def configuration(self) -> dict[str, str]:
        """Every configuration key with its current value."""
        return {**self.config, "HeartbeatInterval": str(int(self.heartbeat_interval)),
                "MeterValueSampleInterval": str(max(1, round(self.meter_interval)))}

    def state(self) -> dict:
        """A snapshot of the charger and every connector (plain dicts)."""
        return {"cp_id": self.id, "online": self.online, "silent": self.silent,
                "registration": self.registration, "queued": len(self.outbox.entries),
                "connectors": {n: c.snapshot() for n, c in self.connectors.items()}}

    # ---- link hooks -----------------------------------------------------------------------
    def boot_payload(self):
        return call.BootNotification(
            charge_point_vendor=self.vendor, charge_point_model=self.model,
            charge_point_serial_number=self.serial_number, firmware_version=self.firmware_version)

    async def after_boot(self) -> None:
        await self.send_status_notification(0, self._charger_status())
        for conn in self.connectors.values():
            await self.update_status(conn, force=True)
        if self.solar.peak_kw > 0 and (self._solar_task is None or self._solar_task.done()):
            self._solar_task = self.spawn(self._solar_loop(), conn_bound=True)

    def _charger_status(self) -> str:
        if all(not c.operative for c in self.connectors.values()):
            return ChargePointStatus.unavailable
        return ChargePointStatus.available

    async def _solar_loop(self) -> None:
        while True:
            data = json.dumps({"kw": self.solar.production_kw(), "timestamp": iso()})
            await self.send_data_transfer("SolarProduction", data)
            await asyncio.sleep(self.meter_interval)

    # ---- server-initiated CALLs ----------------------------------------------------------------
    @on(Action.remote_start_transaction)
    def on_remote_start_transaction(self, id_tag, connector_id=None, **kwargs):
        conn = self._pick_connector(connector_id, id_tag)
        if conn is None:
            return call_result.RemoteStartTransaction(status=RemoteStartStopStatus.rejected)
        conn.authorized_tag = id_tag  # claim it now so a second request is rejected
        self.later(self._remote_start(conn, id_tag))
        return call_result.RemoteStartTransaction(status=RemoteStartStopStatus.accepted)

    def _pick_connector(self, connector_id, id_tag):
        def free(c):
            return (c.operative and not c.faulted and c.transaction_id is None
                    and c.authorized_tag is None and not c.finishing
                    and (c.reservation is None or c.reservation.id_tag == id_tag))
        if connector_id is not None:
            conn = self.connectors.get(connector_id)
            return conn if conn is not None and free(conn) else None
        candidates = [c for c in self.connectors.values() if free(c)]
        candidates.sort(key=lambda c: (c.reservation is None, c.cable_plugged, c.connector_id))
        return candidates[0] if candidates else None

    async def _remote_start(self, conn, id_tag):
        if self.config["AuthorizeRemoteTxRequests"] == "true":
            if await self._authorize(id_tag) != AuthorizationStatus.accepted:
                conn.authorized_tag = None
                await self.update_status(conn)
                return
        await self.authorize_session(conn, id_tag, remote=True)

    @on(Action.remote_stop_transaction)
    def on_remote_stop_transaction(self, transaction_id, **kwargs):
        for conn in self.connectors.values():
            if conn.transaction_id == transaction_id:
                self.later(self._stop_transaction(conn, Reason.remote))
                return call_result.RemoteStopTransaction(status=RemoteStartStopStatus.accepted)
        return call_result.RemoteStopTransaction(status=RemoteStartStopStatus.rejected)

    @on(Action.unlock_connector)
    def on_unlock_connector(self, connector_id, **kwargs):
        conn = self.connectors.get(connector_id)
        if conn is None:
            return call_result.UnlockConnector(status=UnlockStatus.not_supported)
        self.later(self._unlock(conn))
        return call_result.UnlockConnector(status=UnlockStatus.unlocked)

    async def _unlock(self, conn):
        if conn.transaction_id is not None:
            await self._stop_transaction(conn, Reason.unlock_command)
        else:
            conn.door_locked = False
            await self.update_status(conn)

    @on(Action.reset)
    def on_reset(self, type, **kwargs):
        self.later(self._reset(type))
        return call_result.Reset(status="Accepted")

    async def _reset(self, kind):
        reason = Reason.hard_reset if kind == ResetType.hard else Reason.soft_reset
        for conn in self.connectors.values():
            conn.authorized_tag = None
            await self._stop_transaction(conn, reason)
        await self.reboot(1.0)

    @on(Action.change_availability)
    def on_change_availability(self, connector_id, type, **kwargs):
        if connector_id == 0:
            targets = list(self.connectors.values())
        elif connector_id in self.connectors:
            targets = [self.connectors[connector_id]]
        else:
            return call_result.ChangeAvailability(status=AvailabilityStatus.rejected)
        operative = type == AvailabilityType.operative
        for conn in targets:
            conn.operative = operative
        self.later(self._availability_changed(targets))
        busy = not operative and any(c.transaction_id is not None for c in targets)
        return call_result.ChangeAvailability(
            status=AvailabilityStatus.scheduled if busy else AvailabilityStatus.accepted)

    async def _availability_changed(self, targets):
        await self.send_status_notification(0, self._charger_status())
        for conn in targets:
            await self.update_status(conn)

    @on(Action.get_configuration)
    def on_get_configuration(self, key=None, **kwargs):
        config = self.configuration()
        wanted = list(config) if not key else key
        known = [{"key": k, "readonly": k in READ_ONLY_KEYS, "value": config[k]}
                 for k in wanted if k in config]
        unknown = [k for k in wanted if k not in config]
        return call_result.GetConfiguration(configuration_key=known, unknown_key=unknown or None)

    @on(Action.change_configuration)
    def on_change_configuration(self, key, value, **kwargs):
        if key == "AuthorizationKey":  # security profile 1: write-only, used from the next connection on
            # 16 characters at least; up to 40 (the whitepaper's hex form of a 20-byte key).
            if not 16 <= len(value) <= 40 or not all(0x21 <= ord(c) < 0x7F for c in value):
                return call_result.ChangeConfiguration(status=ConfigurationStatus.rejected)
            self.password = value
            if key in self.config:  # a test's "leaky" charger that lists its key in GetConfiguration
                self.config[key] = value
            self._keep_password()
            return call_result.ChangeConfiguration(status=ConfigurationStatus.accepted)
        if key not in self.configuration():
            return call_result.ChangeConfiguration(status=ConfigurationStatus.not_supported)
        valid = ((key not in INTEGER_KEYS or (value.isdigit() and int(value) >= 0))
                 and (key not in BOOLEAN_KEYS or value.lower() in ("true", "false")))
        if key in READ_ONLY_KEYS or not valid:
            return call_result.ChangeConfiguration(status=ConfigurationStatus.rejected)
        if key == "HeartbeatInterval":
            self.heartbeat_interval = int(value)
            if self.can_send():
                self.later(self._restart_heartbeat())
        elif key == "MeterValueSampleInterval":
            self.meter_interval = max(int(value), 1)
        else:
            self.config[key] = value.lower() if key in BOOLEAN_KEYS else value
        return call_result.ChangeConfiguration(status=ConfigurationStatus.accepted)

    def _keep_password(self) -> None:
        """Write the new key into the passwords file (atomically: other chargers share the file)."""
        if not self.passwords_file:
            return
        try:
            with open(self.passwords_file, encoding="utf-8") as fh:
                passwords = json.load(fh)
        except (OSError, ValueError):
            passwords = {}
        passwords[self.id] = self.password
        tmp = f"{self.passwords_file}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(passwords, fh, indent=2)
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.passwords_file)
        log.info("%s: AuthorizationKey stored in %s", self.id, self.passwords_file)

    async def _restart_heartbeat(self):
        self._start_heartbeat()

    @on(Action.clear_cache)
    def on_clear_cache(self, **kwargs):
        return call_result.ClearCache(status="Accepted")

    @on(Action.trigger_message)
    def on_trigger_message(self, requested_message, connector_id=None, **kwargs):
        if connector_id not in (None, 0) and connector_id not in self.connectors:
            return call_result.TriggerMessage(status=TriggerMessageStatus.rejected)
        conns = [self.connectors[connector_id]] if connector_id else list(self.connectors.values())
        triggers = {
            MessageTrigger.boot_notification: lambda: self.send(self.boot_payload()),
            MessageTrigger.heartbeat: self.send_heartbeat,
            MessageTrigger.status_notification: lambda: self._trigger_status(connector_id, conns),
            MessageTrigger.meter_values: lambda: self._trigger_meter_values(conns),
            MessageTrigger.diagnostics_status_notification: lambda: self.send(
                call.DiagnosticsStatusNotification(status=self.diagnostics_status)),
            MessageTrigger.firmware_status_notification: lambda: self.send(
                call.FirmwareStatusNotification(status=self.firmware_status)),
        }
        if requested_message not in triggers:
            return call_result.TriggerMessage(status=TriggerMessageStatus.not_implemented)
        self.later(triggers[requested_message]())
        return call_result.TriggerMessage(status=TriggerMessageStatus.accepted)

    async def _trigger_status(self, connector_id, conns):
        if not connector_id:
            await self.send_status_notification(0, self._charger_status())
        for conn in conns:
            await self.update_status(conn, force=True)

    async def _trigger_meter_values(self, conns):
        for conn in conns:
            if conn.transaction_id is not None:
                self._advance(conn)
            await self.send(call.MeterValues(
                connector_id=conn.connector_id, meter_value=[conn.meter_value("Trigger", self.charger_time(conn))],
                transaction_id=conn.transaction_id if (conn.transaction_id or 0) > 0 else None))

    @on(Action.reserve_now)
    def on_reserve_now(self, connector_id, expiry_date, id_tag, reservation_id, **kwargs):
        conn = self.connectors.get(connector_id)
        if not self.supports_reservation or conn is None:
            return call_result.ReserveNow(status=ReservationStatus.rejected)
        if connector_id in self.reserve_now_answers:
            return call_result.ReserveNow(status=self.reserve_now_answers[connector_id])
        if conn.faulted:
            return call_result.ReserveNow(status=ReservationStatus.faulted)
        if not conn.operative:
            return call_result.ReserveNow(status=ReservationStatus.unavailable)
        same = conn.reservation is not None and conn.reservation.reservation_id == reservation_id
        if not same and (conn.busy or conn.reservation is not None):
            return call_result.ReserveNow(status=ReservationStatus.occupied)
        try:
            expiry = datetime.fromisoformat(expiry_date)
        except ValueError:
            return call_result.ReserveNow(status=ReservationStatus.rejected)
        if expiry.tzinfo is None:
            expiry = expiry.replace(tzinfo=timezone.utc)  # OCPP times are UTC; be lenient
        if expiry <= utc_now():
            return call_result.ReserveNow(status=ReservationStatus.rejected)
        for other in self.connectors.values():
            if other.reservation is not None and other.reservation.reservation_id == reservation_id:
                self.drop_reservation(other)  # same id elsewhere: the new one replaces it
                self.later(self.update_status(other))
        conn.reservation = Reservation(reservation_id, id_tag, expiry)
        conn.reservation.timer = self.spawn(self._reservation_timer(conn, conn.reservation))
        self.later(self.update_status(conn))
        return call_result.ReserveNow(status=ReservationStatus.accepted)

    async def _reservation_timer(self, conn, reservation):
        await asyncio.sleep(max(0.0, (reservation.expiry - utc_now()).total_seconds()))
        if conn.reservation is reservation:
            log.info("%s/%s: reservation %s expired", self.id, conn.connector_id, reservation.reservation_id)
            conn.reservation = None
            await self.update_status(conn)

    @on(Action.cancel_reservation)
    def on_cancel_reservation(self, reservation_id, **kwargs):
        for conn in self.connectors.values():
            if conn.reservation is not None and conn.reservation.reservation_id == reservation_id:
                self.drop_reservation(conn)
                self.later(self.update_status(conn))
                return call_result.CancelReservation(status=CancelReservationStatus.accepted)
        return call_result.CancelReservation(status=CancelReservationStatus.rejected)

    @on(Action.data_transfer)
    def on_data_transfer(self, vendor_id, message_id=None, data=None, **kwargs):
        if vendor_id != VENDOR_ID:
            return call_result.DataTransfer(status=DataTransferStatus.unknown_vendor_id)
        return call_result.DataTransfer(status=DataTransferStatus.accepted, data=data)

    @on(Action.update_firmware)
    def on_update_firmware(self, location, retrieve_date, **kwargs):
        self.later(self._status_sequence(call.FirmwareStatusNotification, "firmware_status",
                                         ["Downloading", "Downloaded", "Installing", "Installed"]))
        return call_result.UpdateFirmware()

    @on(Action.get_diagnostics)
    def on_get_diagnostics(self, location, **kwargs):
        name = f"diagnostics-{self.id}-{utc_now():%Y%m%dT%H%M%S}.log"
        self.later(self._status_sequence(call.DiagnosticsStatusNotification, "diagnostics_status",
                                         ["Uploading", "Uploaded"]))
        return call_result.GetDiagnostics(file_name=name[:255])

    async def _status_sequence(self, payload_cls, attribute, statuses):
        for status in statuses:
            await asyncio.sleep(0.3)
            setattr(self, attribute, status)
            await self.send(payload_cls(status=status))
        if attribute == "diagnostics_status":
            self.diagnostics_status = "Idle"
