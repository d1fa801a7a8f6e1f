"""TransMIL baseline (Shao et al., 2021)."""

from typing import ClassVar

import torch

from ..classifiers._base import BASELINE_HISTORY, TRAINING_DOCS, BaseCrossEntropyClassifier
from ..nn import TransMILModule
from ..utils._docstring import Substitution
from ..utils._sklearn_compat import StrOptions
from ..utils._validation import POSITIVE_INT, SHARE


@Substitution(
    **TRAINING_DOCS, lr="2e-4", optimizer="RAdam", weight_decay="1e-5", history=BASELINE_HISTORY
)
class TransMILClassifier(BaseCrossEntropyClassifier):
    """TransMIL classifier: each case is a bag of frames (a baseline of Hong et al.).

    The frames of a bag are correlated by a Transformer with Nystrom attention and a
    pyramid position encoding. Each bag is processed on its own real frames, so padding
    never changes its output. Frames are shuffled within each bag during training. Defaults
    are Shao et al.'s, except the optimiser: their Lookahead(RAdam) is not in torch, so
    plain RAdam is used, with their learning rate and weight decay. On a CPU, 256 landmarks
    cost ~1.3 s per bag whatever its length (Nystrom pads to the landmark count): use fewer
    landmarks, or ``attention="exact"`` for short bags.

    Parameters
    ----------
    dim : int, default=512
        Token width.
    heads : int, default=8
        Attention heads.
    dim_head : int, default=64
        Width per head (Nystrom attention).
    n_landmarks : int, default=256
        Nystrom landmarks.
    pinv_iterations : int, default=6
        Iterations of the Moore-Penrose pseudo-inverse.
    dropout : float, default=0.1
        Attention dropout.
    attention : {"nystrom", "exact"}, default="nystrom"
        Nystrom approximation (``nystrom-attention`` package) or exact softmax attention.
    {training_parameters}

    Attributes
    ----------
    {training_attributes}
    """

    _module_class = TransMILModule
    _optimizer = torch.optim.RAdam
    _parameter_constraints: ClassVar[dict] = {
        **BaseCrossEntropyClassifier._parameter_constraints,
        **{
            name: [POSITIVE_INT]
            for name in ("dim", "heads", "dim_head", "n_landmarks", "pinv_iterations")
        },
        "dropout": [SHARE],
        "attention": [StrOptions({"nystrom", "exact"})],
    }

    def __init__(
        self,
        *,
        dim=512,
        heads=8,
        dim_head=64,
        n_landmarks=256,
        pinv_iterations=6,
        dropout=0.1,
        attention="nystrom",
        max_epochs=100,
        batch_size=16,
        lr=2e-4,
        weight_decay=1e-5,
        validation_fraction="auto",
        patience=10,
        standardize=True,
        class_weight="balanced",
        label_smoothing=0.0,
        frame_dropout=0.0,
        group_by_length=False,
        device="auto",
        accelerator=None,
        n_threads=None,
        callbacks=None,
        random_state=None,
        verbose=0,
    ):
        self.dim = dim
        self.heads = heads
        self.dim_head = dim_head
        self.n_landmarks = n_landmarks
        self.pinv_iterations = pinv_iterations
        self.dropout = dropout
        self.attention = attention
        super().__init__(
            max_epochs=max_epochs,
            batch_size=batch_size,
            lr=lr,
            weight_decay=weight_decay,
            validation_fraction=validation_fraction,
            patience=patience,
            standardize=standardize,
            class_weight=class_weight,
            label_smoothing=label_smoothing,
            frame_dropout=frame_dropout,
            group_by_length=group_by_length,
            device=device,
            accelerator=accelerator,
            n_threads=n_threads,
            callbacks=callbacks,
            random_state=random_state,
            verbose=verbose,
        )

    def _check_params_beyond_constraints(self):
        if self.attention == "exact":  # Nystrom attention has its own head width, dim_head
            self._check_heads_divide("dim", "heads")
