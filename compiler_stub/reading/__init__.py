"""Reading: segmentation, tree-sitter grammars, the class model, the reading pool."""
