"""Chargeway OCPP 1.6J charger simulator.

``SimulatedCharger`` (asyncio) is one charge point; ``SimulatorThread`` runs chargers
from synchronous code (pytest, Playwright); ``python -m device`` runs N of them.
"""

from device.charger import SimulatedCharger
from device.harness import SimulatorThread, SyncCharger

__all__ = ["SimulatedCharger", "SimulatorThread", "SyncCharger"]
