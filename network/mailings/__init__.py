from network.mailings.views import bp

__all__ = ["bp"]
