"""Marshmallow schemas, named after the api module they serve."""
