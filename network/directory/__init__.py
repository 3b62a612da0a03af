from network.directory import bulk  # noqa: F401  (its routes are the directory blueprint's)
from network.directory.views import bp

__all__ = ["bp"]
