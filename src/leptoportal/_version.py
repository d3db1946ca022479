"""The package version (one place; read by the package face, the CLI, file metadata and cache keys)."""

__version__ = "0.1.0"
