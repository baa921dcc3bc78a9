"""Token ids for training: windows and splits (dataset), memory-mapped shards."""
