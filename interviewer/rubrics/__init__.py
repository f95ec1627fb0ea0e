"""Rubrics and problem cards: pydantic models, YAML loading with line numbers, JSON schema."""
