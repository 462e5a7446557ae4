"""Accounts: login, invitations, password resets, API tokens."""
