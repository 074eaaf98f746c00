"""The WSGI app that production servers import (``python -m quizapp.serving`` serves it).

Behind a load balancer or reverse proxy, set ``QUIZAPP_PROXY_HOPS`` to the number of proxies
in front of the app (usually 1) so that client addresses (sign-in throttling) and the scheme
come from their ``X-Forwarded-*`` headers; never set it when clients reach the server directly.
"""

import os

from werkzeug.middleware.proxy_fix import ProxyFix

from quizapp import create_app

app = create_app()

_hops = int(os.environ.get("QUIZAPP_PROXY_HOPS", "0") or 0)
if _hops > 0:
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=_hops, x_proto=_hops, x_host=_hops)
