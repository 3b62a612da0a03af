"""JSON API v1 (issue 7)."""


def init_app(app) -> None:
    pass
