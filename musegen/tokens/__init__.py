"""Tokenizers: the base interface, the schemes (metre, rich, notes, remi) and their registry."""
