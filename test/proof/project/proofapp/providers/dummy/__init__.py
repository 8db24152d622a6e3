"""A sign-in provider for tests: an app whose label (dummy_provider) is not the last part of its module path."""
