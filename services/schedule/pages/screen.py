"""Street screen."""
