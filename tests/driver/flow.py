"""What the charger says during a session, sent straight to the OCPP services (no socket needed)."""
from webapp import timeutil
from webapp.extensions import db
from webapp.services.charging import transactions
from webapp.services.fleet import chargers

CP = "CP-TEST-1"


def start_tx(id_tag: str, connector: int = 1, meter_start: int = 1_000_000, cp: str = CP) -> int:
    """StartTransaction; returns the transaction id."""
    tx, status = transactions.start(cp, connector, id_tag, meter_start, timeutil.utcnow())
    db.session.commit()
    assert status == "Accepted"
    return tx


def meter(tx: int, register_wh: int, power_w: float, soc: float | None = None, connector: int = 1) -> None:
    """One MeterValues with the energy register, power and (optionally) SoC."""
    samples = [{"value": str(register_wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh",
                "location": "Outlet"},
               {"value": str(power_w), "measurand": "Power.Active.Import", "unit": "W", "location": "Outlet"}]
    if soc is not None:
        samples.append({"value": str(soc), "measurand": "SoC", "unit": "Percent", "location": "EV"})
    transactions.meter_values(CP, connector, tx, [{"timestamp": timeutil.iso(timeutil.utcnow()),
                                                   "sampledValue": samples}])
    db.session.commit()


def stop_tx(tx: int, meter_stop: int, reason: str = "Remote", cp: str = CP) -> None:
    transactions.stop(cp, tx, meter_stop, timeutil.utcnow(), reason)
    db.session.commit()


def status(state: str, connector: int = 1, error: str = "NoError", cp: str = CP) -> None:
    chargers.status_notification(cp, connector, state, error, timeutil.utcnow())
    db.session.commit()
