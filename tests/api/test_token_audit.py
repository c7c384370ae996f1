"""API tokens issued, refreshed and revoked are audited as the token's user, through the API."""
from webapp.extensions import db
from webapp.models import AuditLog


def entries(action):
    return list(db.session.execute(db.select(AuditLog).where(AuditLog.action == action)
                                   .order_by(AuditLog.id)).scalars())


def test_issue_refresh_and_revoke_are_audited(client, factory):
    user = factory.user(email="tok@chargeway.test", password="charge-test-pass")
    bad = client.post("/api/auth/token", json={"email": "tok@chargeway.test", "password": "wrong-password-1"})
    assert bad.status_code == 401
    assert entries("token.issue") == []  # nothing was issued: nothing is recorded as issued
    pair = client.post("/api/auth/token", json={"email": "tok@chargeway.test", "password": "charge-test-pass"})
    assert pair.status_code in (200, 201), pair.get_json()
    body = pair.get_json()
    [issued] = entries("token.issue")
    assert (issued.user_id, issued.via, issued.target_type) == (user.id, "api", "api_token")
    again = client.post("/api/auth/refresh", json={"refresh_token": body["refresh_token"]})
    assert again.status_code in (200, 201), again.get_json()
    [refreshed] = entries("token.refresh")
    assert (refreshed.user_id, refreshed.via, refreshed.target_id) == (user.id, "api", issued.target_id)
    access = again.get_json()["access_token"]
    out = client.post("/api/auth/revoke", headers={"Authorization": f"Bearer {access}"})
    assert out.status_code in (200, 204)
    [revoked] = entries("token.revoke")
    assert (revoked.user_id, revoked.via) == (user.id, "api")
