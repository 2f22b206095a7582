"""Running code: execution sessions of the compiler adapter (one process each) and the
surfaces that drive them (the Lite Terminal's protocol)."""
