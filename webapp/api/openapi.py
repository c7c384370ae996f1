"""/api/openapi.json is spectree's document of every declared view (`contract.spec`); /api/docs renders it
(no CDN). What stays here is what spectree does not do for us: serving the document at our URL, the HTML page
and the index."""
import json
import re

from flask import Flask, current_app, jsonify, render_template, url_for
from markupsafe import Markup, escape
from pydantic import BaseModel, ConfigDict

from .blueprint import bp
from .contract import endpoint, spec
from .resources import Wire

TAG_ORDER = ["Auth", "Stations", "Bookings", "Payments", "Charging", "Sessions", "Devices", "Docs"]


class Document(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")
    openapi: str
    paths: dict


class Links(Wire):
    openapi: str
    docs: str


def build(app: Flask) -> dict:
    """The OpenAPI 3.1 document of every declared view under /api and /device."""
    with app.app_context():
        document = spec.spec
    document["tags"] = [{"name": name} for name in TAG_ORDER]
    return document


@bp.get("/openapi.json")
@endpoint("This document", tags=["Docs"], auth=None,
          responses={200: ("OpenAPI 3.1", Document)})
def openapi_json():
    """The OpenAPI document, generated from the code."""
    return jsonify(build(current_app))


@bp.get("/docs")
def docs():
    """Browsable API documentation rendered from the same document."""
    document = build(current_app)
    groups = {name: [] for name in TAG_ORDER}
    for path, methods in document["paths"].items():
        for method, op in methods.items():
            groups.setdefault(op["tags"][0] if op["tags"] else "Other", []).append((method.upper(), path, op))
    return render_template("api/docs.html", document=document, groups=groups, spec_url=url_for("api.openapi_json"),
                           pretty=lambda s: json.dumps(s, indent=2), prose=_prose)


def _prose(text: str) -> Markup:
    """The document's CommonMark descriptions use `code` spans; show them as code, escape the rest."""
    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", str(escape(text))))


@bp.get("/")
@endpoint("Where the documentation lives", tags=["Docs"], auth=None,
          responses={200: ("Links", Links)})
def index():
    """Links to the document and the docs page."""
    return {"openapi": url_for("api.openapi_json"), "docs": url_for("api.docs")}
