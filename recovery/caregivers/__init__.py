"""Caregivers: the people a patient lets see their recovery and check in for them."""
