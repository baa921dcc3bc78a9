"""Music in: pieces (notes in parts, metre, key), readers, sources and the parse cache."""
