"""Generation: sampling and steering."""
