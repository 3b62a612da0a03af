from network.initiatives.views import bp

__all__ = ["bp"]
