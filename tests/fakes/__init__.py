"""Local fakes of external services for offline tests."""
