from network.directory.views import bp

__all__ = ["bp"]
