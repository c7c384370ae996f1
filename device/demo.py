"""Demo traffic: keep a few simulated chargers busy with card-swipe sessions.

Every few seconds a seeded random driver picks a free connector (Available, not
Reserved, nobody there) and an id tag not already charging, swipes, plugs in, charges
for a random number of simulated minutes, stops, unplugs and closes the door. It never
touches connectors that are Reserved or in a remote-started (booking) session, so the
real golden flow can run alongside; the booked sessions' drivers unplug by themselves
(``DEMO_UNPLUG_SECONDS``).
"""

from __future__ import annotations

import asyncio
import logging
import random

from ocpp.v16.enums import AuthorizationStatus, ChargePointStatus

log = logging.getLogger("device.demo")

#: With --demo, a booked session's driver unplugs and closes the door this many seconds after it stops
#: (``SimulatedCharger.unplug_delay``), so the booking reaches COMPLETED and its receipt.
DEMO_UNPLUG_SECONDS = 5.0


class Demo:
    """Seeded random card-swipe sessions over a set of chargers."""

    def __init__(self, chargers, id_tags, seed=None, minutes=(5.0, 30.0), pause=(2.0, 8.0),
                 max_sessions=None):
        self.chargers = chargers
        self.id_tags = list(id_tags)
        self.rng = random.Random(seed)
        self.minutes = minutes
        self.pause = pause
        self.max_sessions = max_sessions or max(1, len(self.id_tags))
        self.active: dict[tuple[str, int], str] = {}  # (cp_id, connector) -> id_tag

    def free_connectors(self):
        return [(charger, conn) for charger in self.chargers if charger.can_send()
                for conn in charger.connectors.values()
                if conn.status == ChargePointStatus.available and conn.reservation is None
                and not conn.busy and (charger.id, conn.connector_id) not in self.active]

    async def run(self) -> None:
        """Start sessions forever (cancel the task to stop)."""
        tasks = set()
        try:
            while True:
                await asyncio.sleep(self.rng.uniform(*self.pause))
                tags = [t for t in self.id_tags if t not in self.active.values()]
                free = self.free_connectors()
                if not tags or not free or len(self.active) >= self.max_sessions:
                    continue
                charger, conn = self.rng.choice(free)
                tag = self.rng.choice(tags)
                self.active[(charger.id, conn.connector_id)] = tag
                task = asyncio.ensure_future(self.session(charger, conn.connector_id, tag))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
        finally:
            for task in tasks:
                task.cancel()

    async def session(self, charger, connector_id: int, tag: str) -> None:
        """One driver: swipe, plug, charge, stop, unplug, close the door."""
        try:
            status = await charger.swipe(tag, connector_id)
            if status != AuthorizationStatus.accepted:
                log.info("%s/%s: %s refused (%s)", charger.id, connector_id, tag, status)
                return
            await charger.plug_in(connector_id, soc=self.rng.uniform(10, 70))
            conn = charger.connector(connector_id)
            minutes = self.rng.uniform(*self.minutes)
            log.info("%s/%s: %s charges for %.0f simulated minutes", charger.id, connector_id, tag, minutes)
            deadline = asyncio.get_running_loop().time() + minutes * 60 / max(charger.time_scale, 1e-6)
            while asyncio.get_running_loop().time() < deadline:
                if conn.transaction_id is None or conn.id_tag != tag:
                    break  # stopped by someone else (remote stop, fault, reset)
                await asyncio.sleep(1.0)
            if conn.id_tag == tag:
                await charger.stop_local(connector_id)
            await asyncio.sleep(self.rng.uniform(1.0, 3.0))
            if conn.transaction_id is None and conn.authorized_tag is None:
                await charger.finish(connector_id)
        finally:
            self.active.pop((charger.id, connector_id), None)


async def run_demo(chargers, id_tags, seed=None, **kwargs) -> None:
    """Run the demo until cancelled."""
    if not id_tags:
        log.warning("demo: no id tags given (--demo-id-tags); nothing to do")
        return
    await Demo(chargers, id_tags, seed=seed, **kwargs).run()
