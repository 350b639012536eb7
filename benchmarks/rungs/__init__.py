"""The rungs of the ladder, one module each; importing a module registers its rung."""
