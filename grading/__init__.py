"""tocha's grading engine: loads an implementation root, runs the checks, scores them."""
