"""Invitations to teams: created by owners and admins, accepted by token."""
