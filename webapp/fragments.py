"""Page or fragment: one helper decides, keyed on the htmx target, never on a bare HX-Request."""
from flask import make_response, render_template

from .extensions import htmx


def wants_fragment(target_id: str) -> bool:
    """True when htmx asked to swap exactly this element (boosted links also send HX-Request)."""
    return bool(htmx) and htmx.target == target_id


def page_or_fragment(page: str, fragment: str, target_id: str, status: int = 200, stop_polling: bool = False,
                     **context):
    """Render the whole page, or only the fragment when htmx targets `target_id`.

    `stop_polling` answers htmx with 286 so a finished live component stops polling.
    """
    if wants_fragment(target_id):
        response = make_response(render_template(fragment, **context), 286 if stop_polling else status)
    else:
        response = make_response(render_template(page, **context), status)
    # Through `vary`, not headers.add: a second Vary header is dropped when the session later adds "Cookie".
    response.vary.update(("HX-Request", "HX-Target"))
    return response
