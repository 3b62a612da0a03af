from network.exports.views import bp

__all__ = ["bp"]
