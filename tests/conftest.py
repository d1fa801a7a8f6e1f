import os

import pytest
import torch
from hypothesis import HealthCheck, settings

# Without CUDA, Triton's interpreter runs the GPU kernels on the CPU
# (tests/softdtw/test_triton_recursion.py). Triton reads the setting when a kernel is
# decorated, so it must be set before any test imports a module of kernels, not in the test
# module that needs it.
if not torch.cuda.is_available():
    os.environ.setdefault("TRITON_INTERPRET", "1")

# Property tests: enough examples to find edge cases, no per-example deadline (the first
# call of a vectorised path warms caches), a derandomised CI profile for reproducible runs.
settings.register_profile(
    "default", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci",
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("ci" if os.environ.get("CI") else "default")


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    skip_gpu = pytest.mark.skip(reason="needs a CUDA device")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip_gpu)
