"""What the shipped weights were trained with, for the tests that compare a fresh training run with them.

Training is bitwise reproducible for one numpy build running one set of kernels: another numpy (the
browser-pins environment's 2.0), OpenBLAS's AVX-512 kernel (SkylakeX) or numpy's AVX-512 loops sum in
another order and train a slightly different network. The Makefile pins OpenBLAS's Haswell kernel and
numpy's AVX2 paths for every command (see its top), so ``make test`` compares; a bare ``pytest`` on an
AVX-512 machine does not, and those comparisons skip with the reason below.
"""

from pathlib import Path

KERNELS_REASON = ("the shipped weights come from OpenBLAS's Haswell kernel and numpy's AVX2 paths: run the "
                  "tests through make, which pins both")


def pinned_numpy() -> str:
    """The numpy version requirements.txt pins ('' if none)."""
    for line in (Path(__file__).resolve().parents[1] / "requirements.txt").read_text().splitlines():
        if line.startswith("numpy=="):
            return line.split("==")[1].strip()
    return ""


def kernels_as_pinned() -> bool:
    """True when numpy's BLAS is OpenBLAS on its Haswell kernel and numpy's AVX-512 (X86_V4) loops are off."""
    from numpy._core._multiarray_umath import __cpu_features__

    from cnnlib import parallel

    blas = parallel._blas()  # numpy's own BLAS (SciPy may bring another), None where it cannot be known
    return getattr(blas, "architecture", None) == "Haswell" and not __cpu_features__.get("X86_V4", False)
