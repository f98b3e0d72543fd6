"""Reference numbers the pipeline reads (each file records its source and commit)."""
