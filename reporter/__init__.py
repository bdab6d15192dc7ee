"""reporter: prove whether a hotfix is really running in production."""

__version__ = "0.1.0"
