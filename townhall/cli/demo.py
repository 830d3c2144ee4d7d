"""`townhall demo`: a fresh SQLite file, a sample news site and comments, on 127.0.0.1."""

from __future__ import annotations

import errno
import shutil
import socket
import tempfile
from pathlib import Path

import click
import uvicorn

from townhall.cli import Context, pass_context

# The demo's dashboard account; the database is thrown away with the demo, so a fixed password is fine.
DEMO_ADMIN = "admin"
DEMO_PASSWORD = "townhall-demo"  # noqa: S105


def bind(port: int) -> socket.socket:
    """Take the port before anything is printed, so the URL shown is this demo's."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError as exc:
        sock.close()
        why = "is already in use" if exc.errno == errno.EADDRINUSE else f"cannot be used ({exc.strerror})"
        raise click.ClickException(
            f"port {port} on 127.0.0.1 {why}; is another demo running? Stop it, or choose another port:"
            f" `make demo PORT={port + 1}` (or `townhall demo --port {port + 1}`)"
        ) from exc
    sock.listen(128)
    return sock


@click.command()
@click.option("--port", type=int, default=8000, show_default=True, help="Port on 127.0.0.1")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the SQLite file goes (kept); default: a temporary directory removed when the demo stops",
)
@click.option("--no-models", is_flag=True, help="Skip the moderation models (publish everything)")
@pass_context
def demo(ctx: Context, port: int, data_dir: Path | None, no_models: bool) -> None:
    """Start Townhall with a sample news site and comments, and print the URL to open."""
    sock = bind(port)
    temporary = data_dir is None
    data_dir = data_dir or Path(tempfile.mkdtemp(prefix="townhall-demo-"))
    try:
        _run(ctx, sock, port, data_dir, no_models, temporary)
    finally:
        sock.close()
        if temporary:
            shutil.rmtree(data_dir, ignore_errors=True)


def _run(
    ctx: Context, sock: socket.socket, port: int, data_dir: Path, no_models: bool, temporary: bool
) -> None:
    from townhall.app import create_app  # noqa: PLC0415
    from townhall.demo import content, site  # noqa: PLC0415
    from townhall.storage import Storage  # noqa: PLC0415

    data_dir.mkdir(parents=True, exist_ok=True)
    database = data_dir / "demo.sqlite3"
    database.unlink(missing_ok=True)
    base_url = f"http://127.0.0.1:{port}"
    settings = ctx.settings(
        database_url=f"sqlite:///{database}",
        host="127.0.0.1",
        port=port,
        fetch_articles=False,
        moderation_enabled=not no_models,
        sites=[{"id": "demo", "name": "The Larkford Ledger", "origins": [base_url]}],
    )
    click.echo(f"Preparing the demo on {base_url} (loading the models and sample comments) …")
    storage = Storage(settings.database_url)
    storage.migrate()
    app = create_app(settings, storage=storage, extra_routes=site.routes("demo", base_url))
    services = app.state.services
    content.seed(services, services.sites.get("demo"), base_url)
    services.accounts.add(DEMO_ADMIN, "admin", DEMO_PASSWORD)
    where = "its data is removed when it stops" if temporary else f"data in {data_dir}"
    click.echo(f"Townhall demo: open {base_url}/  ({where}; Ctrl-C to stop)")
    click.echo(f"Dashboard: {base_url}/admin/  (sign in as {DEMO_ADMIN}, password {DEMO_PASSWORD})")
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", proxy_headers=False))
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn passes Ctrl-C on once it has shut down: a normal stop
        click.echo("Demo stopped.")


COMMANDS = [demo]
