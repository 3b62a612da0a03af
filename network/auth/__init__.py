from network.auth.views import bp

__all__ = ["bp"]
