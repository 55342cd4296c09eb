"""Cython kernels, one module per claim of the article (claim ids C1-C9 as in
the README's table: ``cN_<topic>`` here, ``bench_cN_<topic>`` and
``test_cN_<topic>`` beside it).

Every kernel validates its arguments at the Python boundary (dtype, contiguity,
lengths, thread counts) and raises TypeError/ValueError naming the argument;
the loops themselves run without bounds checks.
"""
