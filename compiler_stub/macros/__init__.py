"""The macro preprocessor: ``#define``, ``#def1arg``, ``#undef``, ``#include``, expansion.

May import: ``reading``, ``console``, ``qspec``.
"""
