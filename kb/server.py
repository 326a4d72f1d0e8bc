"""Production serving with gunicorn: the app is created in each worker after the fork."""
from __future__ import annotations

import errno
import socket

from gunicorn.app.base import BaseApplication


class KbServer(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        # Runs in each worker, after the fork: searchers and index files are opened per process.
        from kb import create_app

        return create_app()


def port_in_use(host: str, port: int) -> bool:
    """Whether another program listens on host:port: gunicorn would retry and print a traceback each time."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds: a port in TIME_WAIT is free
        try:
            probe.bind((host, port))
        except OSError as exc:
            return exc.errno == errno.EADDRINUSE
    return False


#: The access log names the path, never the query string (patients type personal details into
#: searches), the client's address, its user agent or the page it came from.
ACCESS_LOG_FORMAT = '%(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'


def run(host: str, port: int, workers: int) -> None:
    KbServer({
        "bind": f"{host}:{port}", "workers": workers, "preload_app": False,
        "accesslog": "-", "access_log_format": ACCESS_LOG_FORMAT,
    }).run()
