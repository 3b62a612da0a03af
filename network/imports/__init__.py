from network.imports.views import bp

__all__ = ["bp"]
