"""A helper module students may import."""

FACTOR = 3
