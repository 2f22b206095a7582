"""Reading a class: text segmentation, tree-sitter grammars, the outline and the class model.

Owns: UDL segmentation and the bracket pre-check (``segments``), the grammars (``grammars``),
the class outline and model (``outline``, ``model``), parsed sources kept between compiles
(``sources``) and the worker pool that reads large compile sets (``pool``).
May import: nothing of the other phases; ``atelier_api.adapters.contract`` only.
"""
