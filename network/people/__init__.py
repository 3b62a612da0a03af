from network.people.views import bp

__all__ = ["bp"]
