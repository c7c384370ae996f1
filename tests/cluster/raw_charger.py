"""A bare OCPP-J charger on a background thread: answers the server's CALLs (optionally late), sends its own
CALLs, and remembers how the server closed the socket."""
import base64
import itertools
import json
import queue
import threading
import time

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

ANSWERS = {"RemoteStartTransaction": {"status": "Accepted"}, "RemoteStopTransaction": {"status": "Accepted"},
           "UnlockConnector": {"status": "Unlocked"}, "ReserveNow": {"status": "Accepted"},
           "CancelReservation": {"status": "Accepted"}}


class RawCharger:
    def __init__(self, ws_url, cp_id, password=None, delays=None):
        headers = {}
        if password is not None:
            headers["Authorization"] = "Basic " + base64.b64encode(f"{cp_id}:{password}".encode()).decode()
        self.ws = connect(f"{ws_url}/{cp_id}", subprotocols=["ocpp1.6"], additional_headers=headers,
                          open_timeout=10)
        self.delays = delays or {}  # action -> seconds before answering
        self.received: list[tuple[str, dict]] = []
        self.close_code: int | None = None
        self.close_reason = ""
        self.closed = threading.Event()
        self._results: queue.Queue = queue.Queue()
        self._ids = itertools.count(1)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        try:
            for text in self.ws:
                message = json.loads(text)
                if message[0] == 2:
                    self.received.append((message[2], message[3]))
                    threading.Thread(target=self._answer, args=(message,), daemon=True).start()
                else:
                    self._results.put(message)
        except ConnectionClosed:
            pass
        finally:
            rcvd = self.ws.protocol.close_rcvd
            self.close_code, self.close_reason = (rcvd.code, rcvd.reason) if rcvd else (1006, "")
            self.closed.set()

    def _answer(self, message):
        _, unique_id, action, _payload = message
        time.sleep(self.delays.get(action, 0))
        try:
            self.ws.send(json.dumps([3, unique_id, ANSWERS.get(action, {})]))
        except ConnectionClosed:
            pass

    def call(self, action, payload, unique_id=None):
        uid = unique_id or f"raw-{next(self._ids)}"
        self.ws.send(json.dumps([2, uid, action, payload]))
        answer = self._results.get(timeout=15)
        assert answer[0] == 3 and answer[1] == uid, answer
        return answer[2]

    def boot(self, connectors=1):
        status = self.call("BootNotification", {"chargePointVendor": "Raw", "chargePointModel": "Cluster"})["status"]
        for number in range(1, connectors + 1):
            self.call("StatusNotification", {"connectorId": number, "errorCode": "NoError", "status": "Available"})
        return status

    def close(self):
        try:
            self.ws.close()
        except Exception:
            pass
