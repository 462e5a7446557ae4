"""The recovery timeline built from each plan."""
