"""Tokens: email and password give a Bearer token with an expiry; refresh rotates it; revoke ends it."""
from flask import g, request

from ..services.accounts import tokens
from ..timeutil import iso, utcnow
from .blueprint import bp
from .schema import DATETIME, ID, endpoint, nullable, obj

USER = obj({
    "id": ID, "email": {"type": "string"}, "name": {"type": "string"},
    "role": {"type": "string", "enum": ["driver", "operator", "admin"]},
    "battery_kwh": nullable({"type": "number"}),
}, required=("id", "email", "name", "role", "battery_kwh"))

TOKEN = obj({
    "access_token": {"type": "string"},
    "token_type": {"type": "string", "const": "Bearer"},
    "expires_in": {"type": "integer", "description": "seconds until the access token expires"},
    "expires_at": DATETIME,
    "refresh_token": {"type": "string"},
    "refresh_expires_at": DATETIME,
    "user": USER,
}, required=("access_token", "token_type", "expires_in", "expires_at", "refresh_token", "refresh_expires_at",
             "user"))


def user_json(user) -> dict:
    return {"id": user.id, "email": user.email, "name": user.name, "role": user.role,
            "battery_kwh": user.battery_kwh}


def _token_json(row, access: str, refresh: str) -> dict:
    return {"access_token": access, "token_type": "Bearer",
            "expires_in": max(0, int((row.expires_at - utcnow()).total_seconds())),
            "expires_at": iso(row.expires_at), "refresh_token": refresh,
            "refresh_expires_at": iso(row.refresh_expires_at), "user": user_json(row.user)}


@bp.post("/auth/token")
@endpoint("Sign in: email and password give a Bearer token", tags=["Auth"], auth=None,
          body=obj({"email": {"type": "string", "minLength": 1, "maxLength": 254},
                    "password": {"type": "string", "minLength": 1, "maxLength": 200}},
                   required=("email", "password"),
                   examples=[{"email": "driver@chargeway.demo", "password": "drive-demo-123"}]),
          responses={201: ("Token issued", TOKEN)}, errors=(401, 403, 429),
          description="Wrong credentials give 401 (the same for an unknown email); a suspended account gives "
                      "403; 429 after too many failures for this email from this address, or from this address.")
def issue_token(body):
    """Issue a token pair for email and password."""
    row, access, refresh = tokens.issue(body["email"], body["password"], request.remote_addr,
                                        request.headers.get("User-Agent"))
    return _token_json(row, access, refresh), 201


@bp.post("/auth/refresh")
@endpoint("Swap a refresh token for a new token pair (the old pair stops working)", tags=["Auth"], auth=None,
          body=obj({"refresh_token": {"type": "string", "minLength": 1, "maxLength": 200}},
                   required=("refresh_token",)),
          responses={201: ("New token pair", TOKEN)}, errors=(401, 403))
def refresh_token(body):
    """Rotate a token pair."""
    row, access, refresh = tokens.refresh(body["refresh_token"], request.headers.get("User-Agent"))
    return _token_json(row, access, refresh), 201


@bp.post("/auth/revoke")
@endpoint("Revoke the token used for this request (sign out)", tags=["Auth"],
          responses={200: ("Revoked", obj({"revoked": {"type": "boolean"}}, required=("revoked",)))})
def revoke_token():
    """Revoke the calling token pair."""
    tokens.revoke(g.api_token)
    return {"revoked": True}


@bp.get("/me")
@endpoint("The signed-in account", tags=["Auth"], responses={200: ("The account", USER)})
def me():
    """Who the token belongs to."""
    return user_json(g.api_user)
