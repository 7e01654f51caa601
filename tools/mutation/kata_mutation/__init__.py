"""Mutation testing of the kata graders on cosmic-ray (docs/mutation.md)."""
