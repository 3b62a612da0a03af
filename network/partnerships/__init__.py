from network.partnerships.views import bp

__all__ = ["bp"]
