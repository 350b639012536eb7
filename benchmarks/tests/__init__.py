"""Tests of the benchmark harness itself: its statistics, layers, gates and reports."""
