from network.notifications.views import bp

__all__ = ["bp"]
