from network.main.views import bp

__all__ = ["bp"]
