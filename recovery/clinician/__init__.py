"""Clinicians: their patients and follow-up schedule."""
