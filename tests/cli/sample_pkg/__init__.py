"""A package whose models live in submodules, found by importing it recursively."""
