"""The intake: every submission received (`receive`), then claimed, planned, decided, written and published in batches (`pipeline`)."""
