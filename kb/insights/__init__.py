"""Search insights: what patients search for, click and rate, kept without anything that identifies them."""
