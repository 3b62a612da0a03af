from network.projects.views import bp

__all__ = ["bp"]
