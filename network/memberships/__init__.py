from network.memberships.views import bp

__all__ = ["bp"]
