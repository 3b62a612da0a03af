from network.organizations.views import bp

__all__ = ["bp"]
