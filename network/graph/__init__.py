from network.graph.views import bp

__all__ = ["bp"]
