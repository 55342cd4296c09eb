# The runtime record notes the caller's thread-changing variables before any
# benchmark module imports the package under test (harness/runtime.py).
from .harness import runtime  # noqa: F401
