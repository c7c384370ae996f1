"""A shifted clock for end-to-end tests: the app's "now" (webapp.timeutil.utcnow, which every service, timer
and OCPP handler reads) and the simulator's (device.connector.utc_now, its OCPP timestamps and reservation
expiries) move forward together by one offset and keep ticking at real speed."""
from datetime import datetime, timedelta, timezone

UTC = timezone.utc


class ShiftedClock:
    def __init__(self, monkeypatch):
        self.offset = timedelta(0)
        clock = self

        class Shifted(datetime):
            @classmethod
            def now(cls, tz=None):
                return datetime.now(tz) + clock.offset

        monkeypatch.setattr("webapp.timeutil.datetime", Shifted)
        monkeypatch.setattr("device.connector.datetime", Shifted)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def move_to(self, when: datetime) -> None:
        """From now on "now" is `when` (and runs on from there); never backwards."""
        offset = when - datetime.now(UTC)
        assert offset >= self.offset, "the shifted clock only moves forward"
        self.offset = offset
