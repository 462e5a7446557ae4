"""Care coordinators: the cohort they follow."""
