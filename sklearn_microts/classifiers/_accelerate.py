"""Training through Hugging Face accelerate: several GPUs or machines, mixed precision.

skorch's :class:`~skorch.hf.AccelerateMixin` prepares the module, optimizer and data loaders
with an :class:`accelerate.Accelerator`, and unwraps the module once training is done; the
estimators then predict with the plain module, in each process on all of its cases.
"""

from skorch.hf import AccelerateMixin

from ..utils._device import resolve_device


def training_device(accelerator, device):
    """The device of training: the accelerator's, else ``device`` resolved."""
    return resolve_device(device) if accelerator is None else str(accelerator.device)


class SequenceAccelerateMixin(AccelerateMixin):
    """skorch net mixin: train through ``accelerator``, on the accelerator's device.

    The net's ``device`` is the accelerator's (:func:`training_device`): the estimators
    build their datasets and run inference on the net's device, where accelerate has put
    the module.
    """

    def _validate_params(self):
        # AccelerateMixin asks for device=None, so that skorch never moves tensors to a
        # device other than the one accelerate chose; here both are the same one.
        super(AccelerateMixin, self)._validate_params()

    def get_iterator(self, dataset, training=False):
        # Once training is over (the module unwrapped), inference reads every case in each
        # process: a prepared loader would give each process its shard only.
        if not self._wrapped_with_accelerator:
            return super(AccelerateMixin, self).get_iterator(dataset, training=training)
        return super().get_iterator(dataset, training=training)
