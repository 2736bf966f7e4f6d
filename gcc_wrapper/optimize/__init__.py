"""The optimizer path: hot functions through proposals, verification and measurement into the cache."""
