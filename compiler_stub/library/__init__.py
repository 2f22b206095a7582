"""The bundled system library: class signatures and include files."""
