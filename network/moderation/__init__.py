from network.moderation.views import bp

__all__ = ["bp"]
