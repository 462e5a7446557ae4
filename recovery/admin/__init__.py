"""Administration: staff accounts."""
