"""Moderation rules, one module per step a new comment passes through.

``words`` finds banned and suspect words however they are disguised, ``links`` counts the
links a comment carries, and ``campaigns`` recognises the same text posted again and again.
Each is pure: the pipeline that runs them, and the store that remembers, live elsewhere.
"""
