"""Command line: `flask --app wsgi <command>`."""
import functools
import json

import click
from flask import Flask, current_app



def register(app: Flask) -> None:
    for command in (seed_demo, create_user, add_charger, serve):
        app.cli.add_command(_audited(command))


def _audited(command: click.Command) -> click.Command:
    """Changes a command makes are audited as coming through the CLI (no signed-in user)."""
    callback = command.callback
    if getattr(callback, "audited", False):  # the commands are module objects: every app registers them
        return command

    @functools.wraps(callback)
    def run(*args, **kwargs):
        from .services.platform import audit

        with audit.acting_as(None, "cli"):
            return callback(*args, **kwargs)

    run.audited = True
    command.callback = run
    return command


@click.command("seed-demo")
@click.option("--passwords-file", default=None, help="Write {charge_point_id: password} here for the simulator.")
@click.option("--id-tags-file", default=None, help="Write the id tags the simulated drivers swipe here.")
def seed_demo(passwords_file, id_tags_file):
    """Seed demo stations in Bengaluru, chargers, a tariff, a demo driver and a demo admin (idempotent)."""
    from .services.demo import demo

    result = demo.seed()
    if passwords_file:
        with open(passwords_file, "w") as f:
            json.dump(result["charger_passwords"], f, indent=1)
    if id_tags_file:
        with open(id_tags_file, "w") as f:
            f.write(",".join(result["demo_id_tags"]))
    for role, (email, password) in result["accounts"].items():
        click.echo(f"{role:>8}: {email} / {password}")


@click.command("create-user")
@click.argument("email")
@click.argument("name")
@click.option("--role", type=click.Choice(["driver", "operator", "admin"]), default="driver")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_user(email, name, role, password):
    """Create an account."""
    from .services.accounts import accounts
    from .services.errors import DomainError

    try:
        user = accounts.register(email, name, password, role=role)
    except DomainError as exc:
        raise click.ClickException(exc.message)
    click.echo(f"Created {user.role} {user.email} (idTag {user.id_tag})")


@click.command("add-charger")
@click.argument("charge_point_id")
@click.option("--station-id", type=int, required=True)
@click.option("--connectors", type=int, default=2)
@click.option("--power-kw", type=float, default=22.0)
@click.option("--plug", default="Type2")
@click.option("--base-url", default=None, help="Public ws(s) base, e.g. wss://charge.example.com")
@click.option("--password", default=None,
              help="The password the charger's firmware has (16-20 printable ASCII); default: a generated one.")
def add_charger(charge_point_id, station_id, connectors, power_kw, plug, base_url, password):
    """Register a charger; prints its OCPP URL and password (shown only once)."""
    from .services.fleet import stations
    from .services.errors import DomainError

    try:
        charger, password = stations.add_charger(station_id, charge_point_id, connectors, power_kw, plug,
                                                 password=password)
    except DomainError as exc:
        raise click.ClickException(exc.message)
    base = base_url or f"ws://{current_app.config.get('HOST', '127.0.0.1')}:{current_app.config.get('PORT', 5000)}"
    click.echo(f"OCPP URL: {base}/ocpp/{charger.charge_point_id}")
    click.echo(f"Password: {password}")


@click.command("serve")
@click.option("--host", default=None)
@click.option("--port", type=int, default=None)
def serve(host, port):
    """Run the embedded server: web, OCPP and in-process timers in one process."""
    from .server import run_embedded

    run_embedded(current_app._get_current_object(), host, port)
