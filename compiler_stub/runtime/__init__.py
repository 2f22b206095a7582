"""The ObjectScript runtime of the stand-in adapter: values, functions, local and global
variables, and the code ObjectScript is translated to (see docs/runtime.md)."""
