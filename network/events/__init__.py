from network.events.views import bp

__all__ = ["bp"]
