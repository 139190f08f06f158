"""Lessons: each measures one or more claims from the study notes and prints a verdict."""
