"""Checks: syntax and class-level semantic errors, as IRIS reports them."""
