"""Tokens: email and password give a Bearer token with an expiry; refresh rotates it; revoke ends it."""
from typing import Annotated

from flask import g, request
from pydantic import Field

from ..services.accounts import tokens
from ..timeutil import iso, utcnow
from .blueprint import bp
from .contract import endpoint
from .resources import Token, User, Wire, examples


class TokenRequest(Wire):
    model_config = examples({"email": "driver@chargeway.demo",
                                                               "password": "drive-demo-123"})
    email: Annotated[str, Field(min_length=1, max_length=254)]
    password: Annotated[str, Field(min_length=1, max_length=200)]


class RefreshRequest(Wire):
    refresh_token: Annotated[str, Field(min_length=1, max_length=200)]


class Revoked(Wire):
    revoked: bool


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
          body=TokenRequest, responses={201: ("Token issued", Token)}, errors=(401, 403, 429),
          description="Wrong credentials give 401 (the same for an unknown email); a suspended account gives "
                      "403; 429 after too many failures for this email from this address, or from this address.")
def issue_token(body):
    """Issue a token pair for email and password."""
    row, access, refresh = tokens.issue(body.email, body.password, request.remote_addr,
                                        request.headers.get("User-Agent"))
    return _token_json(row, access, refresh), 201


@bp.post("/auth/refresh")
@endpoint("Swap a refresh token for a new token pair (the old pair stops working)", tags=["Auth"], auth=None,
          body=RefreshRequest, responses={201: ("New token pair", Token)}, errors=(401, 403))
def refresh_token(body):
    """Rotate a token pair."""
    row, access, refresh = tokens.refresh(body.refresh_token, request.headers.get("User-Agent"))
    return _token_json(row, access, refresh), 201


@bp.post("/auth/revoke")
@endpoint("Revoke the token used for this request (sign out)", tags=["Auth"],
          responses={200: ("Revoked", Revoked)})
def revoke_token():
    """Revoke the calling token pair."""
    tokens.revoke(g.api_token)
    return {"revoked": True}


@bp.get("/me")
@endpoint("The signed-in account", tags=["Auth"], responses={200: ("The account", User)})
def me():
    """Who the token belongs to."""
    return user_json(g.api_user)
