"""All models, importable from one place."""
from .user import User, ROLES, operator_stations
from .station import Station, Tariff, STATION_STATUSES
from .charger import Charger, Connector, CONNECTOR_STATUSES
from .booking import Booking, Payment, LIVE_STATUSES, SLOT_STATUSES, FINAL_STATUSES, PAYMENT_METHODS, RESERVATION_REFUSALS
from .session import ChargingSession, MeterSample, SolarSample
from .events import ChargerEvent, OcppMessage, AuditLog, Notification, MaintenanceWindow
from .api import ApiToken, AppSessionReport
from .ledger import BalanceEntry, GatewayRecord, BALANCE_KINDS
from .delivery import PushSubscription, NotificationPreference, NotificationDelivery, CHANNELS

__all__ = [
    "User", "ROLES", "operator_stations", "Station", "Tariff", "STATION_STATUSES",
    "Charger", "Connector", "CONNECTOR_STATUSES", "Booking", "Payment", "LIVE_STATUSES", "SLOT_STATUSES",
    "FINAL_STATUSES", "PAYMENT_METHODS", "RESERVATION_REFUSALS", "ChargingSession", "MeterSample", "SolarSample", "ChargerEvent",
    "OcppMessage", "AuditLog", "Notification", "MaintenanceWindow",
]
__all__ += ["ApiToken", "AppSessionReport"]
__all__ += ["BalanceEntry", "GatewayRecord", "BALANCE_KINDS"]
__all__ += ["PushSubscription", "NotificationPreference", "NotificationDelivery", "CHANNELS"]
