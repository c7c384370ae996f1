"""Many drivers at once: each attempt in its own thread, app context and session, released together."""
import threading


def race(app, user_ids: list[int], attempt, expected=Exception) -> list:
    """Run attempt(user) for every user at the same moment; the outcomes ("won" or the `expected` error)."""
    barrier, outcomes = threading.Barrier(len(user_ids)), []

    def run(user_id):
        with app.app_context():
            from webapp.extensions import db
            from webapp.models import User

            user = db.session.get(User, user_id)
            db.session.commit()  # hold no lock or connection while waiting for the others
            barrier.wait()
            try:
                attempt(user)
                outcomes.append("won")
            except expected as exc:
                outcomes.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(u,)) for u in user_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return outcomes
