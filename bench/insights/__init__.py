"""The insights benchmark (`python -m bench insights`)."""

import os

# One BLAS thread: suppression's small dense solves get slower, not faster, with threads
# fighting over two shared cores. Set here, before anything of the benchmark imports numpy.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
