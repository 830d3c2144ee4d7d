"""`townhall demo`: a fresh SQLite file, a sample news site and comments, on 127.0.0.1."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click
import uvicorn

from townhall.cli import Context, pass_context

# The demo's dashboard account; the database is thrown away with the demo, so a fixed password is fine.
DEMO_ADMIN = "admin"
DEMO_PASSWORD = "townhall-demo"  # noqa: S105


@click.command()
@click.option("--port", type=int, default=8000, show_default=True, help="Port on 127.0.0.1")
@click.option(
    "--data-dir", type=click.Path(file_okay=False, path_type=Path), help="Where the SQLite file goes"
)
@click.option("--no-models", is_flag=True, help="Skip the moderation models (publish everything)")
@pass_context
def demo(ctx: Context, port: int, data_dir: Path | None, no_models: bool) -> None:
    """Start Townhall with a sample news site and comments, and print the URL to open."""
    from townhall.app import create_app  # noqa: PLC0415
    from townhall.demo import content, site  # noqa: PLC0415
    from townhall.storage import Storage  # noqa: PLC0415

    data_dir = data_dir or Path(tempfile.mkdtemp(prefix="townhall-demo-"))
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
    storage = Storage(settings.database_url)
    storage.migrate()
    app = create_app(settings, storage=storage, extra_routes=site.routes("demo", base_url))
    services = app.state.services
    content.seed(services, services.sites.get("demo"), base_url)
    services.accounts.add(DEMO_ADMIN, "admin", DEMO_PASSWORD)
    click.echo(f"Townhall demo: open {base_url}/  (data in {data_dir}; Ctrl-C to stop)")
    click.echo(f"Dashboard: {base_url}/admin/  (sign in as {DEMO_ADMIN}, password {DEMO_PASSWORD})")
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", proxy_headers=False)


COMMANDS = [demo]
