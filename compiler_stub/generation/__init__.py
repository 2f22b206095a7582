"""Generation: storage definitions and generated .int routines."""
