"""QR codes on connectors: an SVG of a signed URL that opens the charger page on the driver's phone."""
import qrcode
import qrcode.image.svg
from flask import current_app
from sqlalchemy import func, select

from ...extensions import db
from ...models import Charger, Connector
from ..platform import signing
from ..errors import InvalidInput, NotFound


def connector_url(connector: Connector, base_url: str) -> str:
    """The URL in the connector's QR code: PUBLIC_URL (or `base_url`, e.g. request.host_url) + /c/<token>."""
    base = (current_app.config.get("PUBLIC_URL") or base_url).rstrip("/")
    return f"{base}/c/{signing.sign_connector(connector.charger.charge_point_id, connector.connector_id)}"


def svg_for_url(url: str) -> str:
    """A standalone SVG QR code of `url` (medium error correction, quiet zone included)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4,
                         image_factory=qrcode.image.svg.SvgPathImage)
    code.add_data(url)
    code.make(fit=True)
    return code.make_image().to_string(encoding="unicode")


def svg_for_connector(connector: Connector, base_url: str) -> str:
    """The SVG QR code for one connector (the console prints sheets of these)."""
    return svg_for_url(connector_url(connector, base_url))


def connector_for(charge_point_id: str, connector_number: int) -> Connector:
    """The connector a charger id and number name; NotFound with a clear message otherwise."""
    charger = db.session.execute(select(Charger).where(Charger.charge_point_id == charge_point_id)).scalar_one_or_none()
    if charger is None or charger.retired:
        raise NotFound(f"There is no charger with id {charge_point_id!r}. Check the id printed on the charger.")
    connector = charger.connector(connector_number)
    if connector is None:
        raise NotFound(f"Charger {charge_point_id} has no connector {connector_number}.")
    return connector


def connector_for_token(token: str) -> Connector:
    """The connector a scanned QR token names; InvalidToken for forged or altered codes."""
    return connector_for(*signing.unsign_connector(token))


def parse_typed(charge_point_id: str, connector_number: str) -> Connector:
    """The fallback form: a typed charger id and connector number, checked the same way as a scan."""
    cp_id = (charge_point_id or "").strip()
    if not cp_id:
        raise InvalidInput("Type the charger id printed on the charger.")
    try:
        number = int(connector_number or 1)
    except ValueError:
        raise InvalidInput("The connector number must be a whole number, such as 1.")
    # Ids are case-sensitive in OCPP, but drivers type them from a sticker: match case-insensitively.
    charger = db.session.execute(select(Charger).where(func.lower(Charger.charge_point_id) == cp_id.lower())
                                 ).scalars().first()
    return connector_for(charger.charge_point_id if charger else cp_id, number)


def token_for(connector: Connector) -> str:
    """The signed token of a connector (the typed-id fallback redirects to the same page as a scan)."""
    return signing.sign_connector(connector.charger.charge_point_id, connector.connector_id)
