"""Townhall: self-hosted comments for news sites, with moderation that reads the article."""

__version__ = "0.1.0"
__all__ = ["__version__"]
