"""Offline queue for transaction messages (StartTransaction, StopTransaction, MeterValues).

OCPP 1.6 asks a charge point to keep transaction messages it could not deliver and send
them, in order and with their original timestamps, once the Central System is reachable
again. A transaction started while offline carries a negative placeholder id; when its
queued StartTransaction is answered, every queued message of that transaction is
rewritten with the real id before it is sent.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import logging
from dataclasses import dataclass, field

from ocpp.charge_point import remove_nones, serialize_as_dict, snake_to_camel_case
from ocpp.exceptions import OCPPError
from ocpp.v16 import call

log = logging.getLogger("device")

MAX_QUEUED = 1000
RETRY_AFTER_TIMEOUT_S = 5.0


class LinkDown(Exception):
    """The CALL could not be delivered or answered (offline, silent, closed, timed out)."""


def wire(obj) -> dict:
    """A payload or result dataclass as it travels: camelCase, no None fields."""
    return remove_nones(snake_to_camel_case(serialize_as_dict(obj)))


def _tx_id(payload) -> int:
    return getattr(payload, "transaction_id", None) or 0


@dataclass(order=True)
class Queued:
    seq: int
    payload: object = field(compare=False)
    placeholder: int | None = field(default=None, compare=False)


class Outbox:
    """Transaction messages in creation order; delivered through ``link.call_checked``."""

    def __init__(self, link):
        self.link = link
        self.entries: list[Queued] = []
        self._seq = itertools.count()
        self._placeholders = itertools.count(-1, -1)
        self._replaying = False

    def new_placeholder(self) -> int:
        return next(self._placeholders)

    @property
    def items(self) -> list[tuple[str, dict]]:
        return [(type(e.payload).__name__, wire(e.payload)) for e in self.entries]

    async def send(self, payload, placeholder=None):
        """Deliver now when nothing is waiting ahead of it, else queue; None when queued."""
        entry = Queued(next(self._seq), payload, placeholder)
        unresolved = _tx_id(payload) < 0
        if self.link.can_send() and not self.entries and not self._replaying and not unresolved:
            try:
                result = await self.link.call_checked(payload)
            except LinkDown as exc:
                log.info("%s: queueing %s (%s)", self.link.id, type(payload).__name__, exc)
            except OCPPError:
                self.resolve(placeholder, None)
                return None
            else:
                self.resolve(placeholder, result)
                return result
        if len(self.entries) >= MAX_QUEUED and isinstance(payload, call.MeterValues):
            return None
        bisect.insort(self.entries, entry)
        if self.link.can_send() and not unresolved:
            self.link.spawn(self.replay())
        return None

    async def replay(self) -> None:
        """Deliver queued messages in order while the link allows it."""
        if self._replaying:
            return
        self._replaying = True
        try:
            while self.entries and self.link.can_send():
                entry = self.entries[0]
                if _tx_id(entry.payload) < 0:
                    break  # its StartTransaction is still in flight; resolve() restarts us
                try:
                    result = await self.link.call_checked(entry.payload)
                except LinkDown:
                    if self.link.can_send():
                        self.link.spawn(self._replay_later(), conn_bound=True)
                    break
                except OCPPError:
                    result = None  # the server refused it; retrying cannot help
                self.entries.remove(entry)
                self.resolve(entry.placeholder, result)
        finally:
            self._replaying = False

    async def _replay_later(self) -> None:
        await asyncio.sleep(RETRY_AFTER_TIMEOUT_S)
        await self.replay()

    def resolve(self, placeholder: int | None, result) -> None:
        """Swap a placeholder transaction id for the real one (None: drop its messages)."""
        if placeholder is None:
            return
        real = None if result is None else result.transaction_id
        for entry in list(self.entries):
            if _tx_id(entry.payload) == placeholder:
                if real is None:
                    self.entries.remove(entry)  # the server never learnt of this transaction
                else:
                    entry.payload.transaction_id = real
        self.link.transaction_answered(placeholder, result)
        if self.entries and self.link.can_send():
            self.link.spawn(self.replay())
