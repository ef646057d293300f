"""The intake pipeline: every submission claimed, planned, decided, written and published in batches (`pipeline`)."""
