"""Offline evaluations of the interviewer (grading agreement, harness, benchmarks)."""
