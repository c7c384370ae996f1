"""Demo data: stations in Bengaluru with real coordinates, chargers, a tariff, demo accounts."""
import secrets

from sqlalchemy import select

from ...extensions import db
from ...models import Charger, Connector, Station, Tariff, User
from ..accounts import accounts
from . import demo_history
from ..fleet import charger_passwords

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

STATIONS = [
    # name, address, lat, lon, hours (None = 24/7), solar kW, chargers [(cp_id, connectors, kW, plug)]
    ("MG Road Metro Hub", "MG Road Metro Station, Mahatma Gandhi Rd, Bengaluru 560001", 12.9755, 77.6068,
     {d: [["07:00", "23:00"]] for d in WEEKDAYS}, None, [("BLR-MGR-01", 2, 22.0, "Type2"), ("BLR-MGR-02", 1, 60.0, "CCS2")]),
    ("Indiranagar 100 Ft Road", "100 Feet Rd, HAL 2nd Stage, Indiranagar, Bengaluru 560038", 12.9719, 77.6412,
     {**{d: [["08:00", "22:00"]] for d in WEEKDAYS[:5]}, "sat": [["09:00", "21:00"]]}, 15.0,
     [("BLR-IND-01", 2, 22.0, "Type2")]),
    ("Koramangala Night Charge", "Forum Mall, Hosur Rd, Koramangala, Bengaluru 560029", 12.9346, 77.6113,
     {d: [["18:00", "02:00"]] for d in WEEKDAYS}, None, [("BLR-KOR-01", 2, 30.0, "CCS2")]),
    ("Kempegowda Airport P4", "Kempegowda International Airport, Devanahalli, Bengaluru 560300", 13.1989, 77.7068,
     None, 40.0, [("BLR-KIA-01", 2, 60.0, "CCS2"), ("BLR-KIA-02", 2, 22.0, "Type2")]),
]

DEMO_DRIVER = ("driver@chargeway.demo", "Demo Driver", "drive-demo-123")
DEMO_ADMIN = ("admin@chargeway.demo", "Demo Admin", "admin-demo-123")
DEMO_OPERATOR = ("operator@chargeway.demo", "Demo Operator", "operate-demo-123")
#: Other drivers whose past sessions fill the console's analytics (they never sign in: random passwords).
HISTORY_DRIVERS = (("asha@chargeway.demo", "Asha Rao"), ("vikram@chargeway.demo", "Vikram Shetty"),
                   ("meera@chargeway.demo", "Meera Iyer"), ("rahul@chargeway.demo", "Rahul Nair"))


def seed() -> dict:
    """Create the demo data if missing; charger passwords are reset each run (they are only shown now)."""
    tariff = db.session.execute(select(Tariff).where(Tariff.name == "Bengaluru standard")).scalar_one_or_none()
    if tariff is None:
        tariff = Tariff(name="Bengaluru standard", currency="INR", price_per_kwh=1800, price_per_minute=0,
                        session_fee=2000, idle_fee_per_minute=500)
        db.session.add(tariff)
    passwords = {}
    stations = []
    for name, address, lat, lon, hours, solar, chargers in STATIONS:
        station = db.session.execute(select(Station).where(Station.name == name)).scalar_one_or_none()
        if station is None:
            station = Station(name=name, address=address, latitude=lat, longitude=lon, timezone="Asia/Kolkata",
                              opening_hours=hours or {}, always_open=hours is None, tariff=tariff, solar_kw=solar)
            db.session.add(station)
        stations.append(station)
        for cp_id, n, kw, plug in chargers:
            charger = db.session.execute(select(Charger).where(Charger.charge_point_id == cp_id)).scalar_one_or_none()
            if charger is None:
                charger = Charger(charge_point_id=cp_id, station=station, registration_status="Accepted",
                                  supports_reservation=True, heartbeat_interval=60)
                charger.connectors = [Connector(connector_id=i, plug_type=plug, max_power_kw=kw) for i in range(1, n + 1)]
                db.session.add(charger)
            password = charger_passwords.generate()
            charger.set_password(password, generated=True)
            passwords[cp_id] = password
    db.session.commit()
    created = {}
    for role, (email, name, password) in (("driver", DEMO_DRIVER), ("operator", DEMO_OPERATOR),
                                          ("admin", DEMO_ADMIN)):
        if db.session.execute(select(User).where(User.email == email)).scalar_one_or_none() is None:
            accounts.register(email, name, password, role=role, battery_kwh=60 if role == "driver" else None)
        created[role] = (email, password)
    operator = db.session.execute(select(User).where(User.email == DEMO_OPERATOR[0])).scalar_one()
    if not operator.stations:
        operator.stations = stations[:2]
        db.session.commit()
    # The simulated chargers' own activity uses service cards: staff sessions are accepted and not billed.
    service_tags = []
    for n in range(1, 4):
        email = f"service{n}@chargeway.demo"
        card = db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()
        if card is None:
            card = accounts.register(email, f"Service card {n}", secrets.token_urlsafe(16), role="operator")
        card.stations = stations
        service_tags.append(card.id_tag)
    db.session.commit()
    drivers = [db.session.execute(select(User).where(User.email == DEMO_DRIVER[0])).scalar_one()]
    for email, name in HISTORY_DRIVERS:
        user = db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()
        drivers.append(user or accounts.register(email, name, secrets.token_urlsafe(16), role="driver"))
    history = demo_history.seed(drivers, stations)
    return {"accounts": created, "charger_passwords": passwords, "demo_id_tags": service_tags,
            "history_bookings": history}
