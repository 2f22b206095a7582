"""The macro preprocessor."""
