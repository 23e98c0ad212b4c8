"""Readers of other comment systems' archives: each turns its format's file into a stream of
``domain.archive`` entries, in bounded memory, and says what is malformed by its line."""
