"""The torch device an estimator runs on: chosen at fit, and mapped to one this machine
has when a fitted estimator is loaded."""

import torch


def resolve_device(device):
    """``"auto"``: CUDA when available, else the CPU; any other name is kept."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if not isinstance(device, str | torch.device):
        raise TypeError(f"device must be 'auto' or a torch device name, got {device!r}.")
    return str(device)


def training_device(accelerator, device):
    """The device of training: the accelerator's, else ``device`` resolved."""
    return resolve_device(device) if accelerator is None else str(accelerator.device)


def usable_device(device):
    """``device``, or the CPU where this machine has no such device (a model trained on a GPU
    predicts on a machine without one)."""
    device = torch.device(device)
    if device.type == "cuda" and (
        not torch.cuda.is_available() or (device.index or 0) >= torch.cuda.device_count()
    ):
        return "cpu"
    if device.type == "mps" and not torch.backends.mps.is_available():
        return "cpu"
    return str(device)
