"""``dyncrm serve``: run the web portal of the deployment on waitress."""

from __future__ import annotations

import click

from dyncrm import output
from dyncrm.cli import cli, examples, json_option, pass_crm


@examples("dyncrm serve --port 8080", run=False)
@cli.command("serve")
@click.option("--host", help="Address to listen on (default: [web] host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535),
              help="Port to listen on (default: [web] port, 8080).")
@click.option("--threads", type=click.IntRange(1, 256),
              help="Requests served at once (default: [web] threads, 8).")
@json_option
@pass_crm
def serve(crm, host: str | None, port: int | None, threads: int | None,
          as_json: bool) -> None:
    """Serve the web portal for members and staff until stopped (Ctrl-C).

    Runs on waitress, a production WSGI server. Put it behind a reverse proxy
    that terminates TLS (docs/deployment.md) and set [web] trusted_proxies = 1
    there; on PostgreSQL, run one process per core.
    """
    import waitress

    from dyncrm.web import create_app

    settings = crm.config.web
    app = create_app(crm=crm)
    host = host or settings.host
    port = port or settings.port
    click.echo(f"{crm.config.organisation.name}: portal on http://{host}:{port}/ "
               "(Ctrl-C stops it)", err=True)
    if as_json:  # said once the address is known; the server then runs until stopped
        output.emit({"url": f"http://{host}:{port}/", "host": host, "port": port,
                     "threads": threads or settings.threads})
    waitress.serve(app, host=host, port=port, threads=threads or settings.threads,
                   ident="dyncrm", clear_untrusted_proxy_headers=True,
                   max_request_body_size=settings.max_upload_mb * 1024 * 1024 + 65536)
