"""/api/openapi.json, built from the URL map and each view's declaration; /api/docs renders it (no CDN)."""
import json
import re

from flask import Flask, current_app, jsonify, render_template, url_for
from markupsafe import Markup, escape

from .blueprint import bp
from .schema import ERROR, MAX_ID, endpoint, obj

_PARAM = re.compile(r"<(?:(?P<conv>\w+)(?:\((?P<args>[^)]*)\))?:)?(?P<name>\w+)>")
TAG_ORDER = ["Auth", "Stations", "Bookings", "Payments", "Charging", "Sessions", "Devices", "Docs"]


def _converter_schema(conv: str | None, args: str | None) -> dict:
    options = {}
    for part in (args or "").split(","):
        if "=" in part:
            key, value = part.split("=", 1)
            options[key.strip()] = int(value.strip())
    if conv == "int":  # `endpoint` answers 404 for ids outside this range
        return {"type": "integer", "minimum": options.get("min", 1), "maximum": options.get("max", MAX_ID),
                "examples": [1]}
    schema = {"type": "string", "minLength": options.get("minlength", 1), "pattern": "^[^/]+$",
              "examples": ["CP-1"]}
    if "maxlength" in options:
        schema["maxLength"] = options["maxlength"]
    return schema


def _path(rule) -> tuple[str, list[dict]]:
    params = []

    def repl(match):
        params.append({"name": match["name"], "in": "path", "required": True,
                       "schema": _converter_schema(match["conv"], match["args"])})
        return "{" + match["name"] + "}"

    return _PARAM.sub(repl, rule.rule), params


def _json(schema: dict | None, description: str) -> dict:
    out = {"description": description}
    if schema is not None:
        out["content"] = {"application/json": {"schema": schema}}
    return out


def _operation(rule, method: str, spec, path_params: list[dict]) -> dict:
    params = list(path_params)
    for name, prop in (spec.query or {}).get("properties", {}).items():
        params.append({"name": name, "in": "query", "required": name in spec.query.get("required", []),
                       "schema": prop, **({"description": prop["description"]} if "description" in prop else {})})
    for name, header in spec.headers.items():
        params.append({"name": name, "in": "header", "required": bool(header.get("required")),
                       "description": header.get("description", ""), "schema": header["schema"]})
    op = {"operationId": f"{rule.endpoint.replace('.', '_')}_{method.lower()}", "summary": spec.summary,
          "tags": spec.tags, "parameters": params,
          "security": [{"bearerAuth": []}] if spec.auth == "bearer" else
          [{"deviceBasic": []}] if spec.auth == "basic" else [],
          "responses": {str(code): _json(schema, text) for code, (text, schema) in sorted(spec.statuses().items())}}
    if spec.description:
        op["description"] = spec.description
    if spec.body is not None:
        op["requestBody"] = {"required": bool(spec.body.get("required")),
                             "content": {"application/json": {"schema": spec.body}}}
    return op


def build(app: Flask) -> dict:
    """The OpenAPI 3.1 document of every declared view under /api and /device."""
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        spec = getattr(app.view_functions.get(rule.endpoint), "api_spec", None)
        if spec is None:
            continue
        path, path_params = _path(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(rule, method, spec, path_params)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Chargeway API", "version": "1.0.0",
                 "description": "The JSON API of Chargeway for mobile apps and simple chargers. Money is in "
                                "integer minor units, times are ISO 8601 with an offset, every error is "
                                '`{"error": {"code", "message", "details"}}`.'},
        "tags": [{"name": name} for name in TAG_ORDER],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer",
                               "description": "POST /api/auth/token with email and password"},
                "deviceBasic": {"type": "http", "scheme": "basic",
                                "description": "the charge point id and its password"},
            },
            "schemas": {"Error": ERROR},
        },
    }


@bp.get("/openapi.json")
@endpoint("This document", tags=["Docs"], auth=None,
          responses={200: ("OpenAPI 3.1", obj({"openapi": {"type": "string"}, "paths": {"type": "object"}},
                                              required=("openapi", "paths"), additional=True))})
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
          responses={200: ("Links", obj({"openapi": {"type": "string"}, "docs": {"type": "string"}},
                                        required=("openapi", "docs")))})
def index():
    """Links to the document and the docs page."""
    return {"openapi": url_for("api.openapi_json"), "docs": url_for("api.docs")}
