"""Production serving with gunicorn: the app is created in each worker after the fork."""
from __future__ import annotations

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


def run(host: str, port: int, workers: int) -> None:
    KbServer({"bind": f"{host}:{port}", "workers": workers, "preload_app": False, "accesslog": "-"}).run()
