"""llmcc: a drop-in gcc that rewrites hot functions' assembly, verifies and caches the rewrites."""

__version__ = "0.1.0"
