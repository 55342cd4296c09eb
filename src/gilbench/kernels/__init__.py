"""Cython kernels, one module per claim of the article (ids as in DESIGN.md).

Every kernel validates its arguments at the Python boundary (dtype, contiguity,
lengths, thread counts) and raises TypeError/ValueError naming the problem;
the loops themselves run without bounds checks.
"""
