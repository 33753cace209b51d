"""gunicorn entry point for one devcloud service (run inside .devcloud/venv).

``DEVCLOUD_SERVICE`` selects keystone or glance; the app is mounted under its
devstack prefix (/identity, /image) with werkzeug's DispatcherMiddleware, so
SCRIPT_NAME/PATH_INFO are split the way Apache's WSGIScriptAlias does it.
The config directory comes from OS_KEYSTONE_CONFIG_DIR / OS_GLANCE_CONFIG_DIR,
set by cloud.py.
"""

from __future__ import annotations

# Glance's atexit hook (drain_workers) would import this lazily at interpreter
# shutdown, when registering its own atexit hook fails: import it now.
import concurrent.futures.thread  # noqa: F401
import os
import sys

from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware

SERVICE = os.environ["DEVCLOUD_SERVICE"]

# oslo.config parses sys.argv while the services import; gunicorn's own
# arguments (--bind, --workers, ...) would be rejected as unknown options.
sys.argv = [f"devcloud-{SERVICE}"]

if SERVICE == "keystone":
    from keystone.wsgi.api import application as _app

    PREFIX = "/identity"
elif SERVICE == "glance":
    from glance.wsgi.api import application as _app

    PREFIX = "/image"
else:
    raise RuntimeError(f"unknown DEVCLOUD_SERVICE {SERVICE!r}")

application = DispatcherMiddleware(NotFound(), {PREFIX: _app})
