from network.admin.views import bp

__all__ = ["bp"]
