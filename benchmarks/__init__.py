"""Benchmarks: relevance and speed on public test collections, measured through the project's own code."""
