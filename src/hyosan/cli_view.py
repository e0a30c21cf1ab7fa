"""``hyosan view``: watch result folders in the browser, or export one self-contained HTML page."""

from __future__ import annotations

from pathlib import Path

import typer

from hyosan.errors import HyosanError


def view(
    folders: list[Path] = typer.Argument(..., help="Result folders written by 'hyosan run' (each holds result.nc)."),
    export: Path = typer.Option(None, "--export", help="Write one self-contained HTML file that plays them, and exit."),
    port: int = typer.Option(0, help="Port on 127.0.0.1 (default: a free one)."),
    open_browser: bool = typer.Option(False, "--open", help="Open the page in the default browser."),
    runs: Path = typer.Option(None, "--runs", help="Folder for runs started from the page (default: a temporary one)."),
    scheduler: str = typer.Option(
        None, help="Dask scheduler address (tcp://HOST:PORT): runs from the page send their replicates there."
    ),
) -> None:
    """Serve a page on 127.0.0.1 that plays, scrubs, compares and reruns results (Ctrl-C stops it)."""
    from hyosan.view.server import Session, check_folders, make_server, url_of

    found = check_folders(folders)
    if export is not None:
        from hyosan.view.export import export_html

        typer.echo(f"wrote {export_html(found, export)}")
        return
    if not 0 <= port <= 65535:
        raise HyosanError(f"--port {port}: give a port from 1 to 65535, or 0 for a free one")
    if scheduler:
        from hyosan.cluster import dask_executor

        dask_executor(scheduler)  # refuse an unreachable scheduler now, in one line, not at the first run
    session = Session(found, runs, scheduler=scheduler)
    try:
        server = make_server(session, port)
    except OSError as exc:
        raise HyosanError(f"--port {port}: cannot listen on 127.0.0.1 ({exc.strerror}); choose another port") from None
    url = url_of(server, session)
    typer.echo(f"hyosan view: {url}", err=False)
    typer.echo("  (Ctrl-C stops the server)")
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    try:
        server.serve_forever()
    finally:
        server.server_close()
