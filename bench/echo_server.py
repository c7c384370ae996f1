"""The bare reference for bench/hb_compare.py: a flask-sock route on gunicorn's gevent worker that answers
every OCPP-J CALL with a CALLRESULT, and nothing else (no validation, no database, no logging).

    gunicorn -k gevent -w 1 --worker-connections 20000 -b 127.0.0.1:PORT bench.echo_server:app

It is what a socket costs in this stack (gunicorn, gevent, werkzeug, simple_websocket/wsproto, json): the
floor Chargeway's own per-message work sits on. Boot is Accepted so the same lean chargers can use it.
"""
import json
from datetime import datetime, timezone

from flask import Flask
from flask_sock import Sock

app = Flask(__name__)
# As Chargeway's (webapp/__init__.py): the subprotocol, the frame limit, a ping thread per socket.
app.config["SOCK_SERVER_OPTIONS"] = {"subprotocols": ["ocpp1.6"], "max_message_size": 65536, "ping_interval": 60}
sock = Sock(app)


@app.get("/healthz")
def healthz():
    return "ok\n"


@sock.route("/ocpp/<path:cp_id>")
def echo(ws, cp_id):
    while True:
        frame = json.loads(ws.receive())
        now = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        ws.send(json.dumps([3, frame[1], {"currentTime": now, "interval": 300, "status": "Accepted"}]))


def post_fork(server, worker):  # gunicorn -c: GC pauses for the report, like the node's worker
    from bench import gcpause
    gcpause.install()
