import os

# Keep BLAS single-threaded inside tests so timings and results are stable on 2 cores.
os.environ.setdefault("OMP_NUM_THREADS", "1")
