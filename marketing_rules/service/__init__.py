"""The decision service (``marketing-rules serve``): decisions, explanations and TMF679 over HTTP.

``pip install marketing-rules[serve]``. :func:`create_app` builds the FastAPI application over a
folder of rulesets; :func:`serve` runs it on uvicorn, with hot reload and the decision log.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from marketing_rules.i18n import _
from marketing_rules.service.app import create_app, create_asgi
from marketing_rules.service.store import Store

__all__ = ["Store", "create_app", "create_asgi", "serve", "workbench"]


def serve(root: str | Path, *, host: str = "127.0.0.1", port: int = 8000, log_path: str | None = None,
          now: dt.date | None = None, mask_ids: bool = False, inputs: bool = True, watch: bool = True) -> None:
    """Load ``root`` and answer on ``host:port`` until interrupted."""
    import uvicorn

    store = Store(Path(root), clock=(lambda: now) if now is not None else dt.date.today)
    if not store.reload() and store.last_error is not None:
        print(_("the rulesets do not load; serving nothing until they do:"), file=sys.stderr)
        for diagnostic in store.last_error.diagnostics:
            print(diagnostic.render(), file=sys.stderr)
        if store.last_error.message:
            print(store.last_error.message, file=sys.stderr)
    log = None
    if log_path is not None:
        from marketing_rules.service.log import DecisionLog

        log = DecisionLog(log_path, mask_ids=mask_ids, inputs=inputs)
    app = create_asgi(store, log, watch=watch)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


def workbench(root: str | Path, *, host: str = "127.0.0.1", port: int = 8001, now: dt.date | None = None,
              watch: bool = True) -> None:
    """Serve the workbench (and the decision service, without a decision log) over ``root``."""
    import uvicorn

    store = Store(Path(root), clock=(lambda: now) if now is not None else dt.date.today)
    if not store.reload() and store.last_error is not None:
        print(_("the rulesets do not load; fix them first:"), file=sys.stderr)
        for diagnostic in store.last_error.diagnostics:
            print(diagnostic.render(), file=sys.stderr)
        raise SystemExit(2)
    url = f"http://{host}:{port}/workbench/"
    print(_("the workbench: {url}", url=url), file=sys.stderr, flush=True)
    uvicorn.run(create_app(store, watch=watch, workbench=True), host=host, port=port, log_level="warning",
                access_log=False)
