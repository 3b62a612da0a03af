from network.activity.views import bp

__all__ = ["bp"]
