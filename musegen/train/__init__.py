"""Training: the flow (fit), several GPUs or machines (distribute), the base and bundled models."""
