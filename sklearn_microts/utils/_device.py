"""The torch device an estimator runs on."""

import torch


def resolve_device(device):
    """``"auto"``: CUDA when available, else the CPU; any other name is kept."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if not isinstance(device, str | torch.device):
        raise TypeError(f"device must be 'auto' or a torch device name, got {device!r}.")
    return str(device)
