"""The service's errors: each carries its HTTP status and renders to one JSON shape."""
from __future__ import annotations


class KbError(Exception):
    """Base of every error the service reports to a caller on purpose."""

    status = 500
    code = "internal_error"
    #: A page's way out of the error, as (url, text), when there is a better one than a new search.
    way_out: tuple[str, str] | None = None

    def __init__(self, message: str, *, param: str | None = None, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.param = param
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code

    def to_dict(self) -> dict:
        return {"error": {"code": self.code, "param": self.param, "message": self.message}}


class BadParameter(KbError):
    status = 400
    code = "bad_parameter"


class QueryTooLong(KbError):
    status = 413
    code = "query_too_long"


class NotFound(KbError):
    status = 404
    code = "not_found"


class IndexUnavailable(KbError):
    """No usable index: the service answers 503 until `kb index` has built one."""

    status = 503
    code = "index_unavailable"


class IndexBusy(KbError):
    """Another `kb index` holds the writer lock."""

    status = 409
    code = "index_busy"


class ConfigError(KbError):
    """The taxonomy or another configuration file is unusable."""

    code = "config_error"


class AccountError(KbError):
    """A bad staff name or password, said plainly to the person at the terminal."""

    status = 400
    code = "bad_account"
