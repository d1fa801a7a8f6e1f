"""Transformer encoder baseline: positional encodings, masked attention and pooling."""

from typing import ClassVar

from ..classifiers._base import BASELINE_HISTORY, TRAINING_DOCS, BaseCrossEntropyClassifier
from ..nn import TransformerModule
from ..utils._docstring import Substitution
from ..utils._validation import POSITIVE_INT, SHARE


@Substitution(
    **TRAINING_DOCS, lr="1e-4", optimizer="Adam", weight_decay="0.0", history=BASELINE_HISTORY
)
class TransformerClassifier(BaseCrossEntropyClassifier):
    """Transformer encoder classifier of cases (a baseline of Hong et al.).

    Frames are embedded, given sinusoidal positional encodings (their acquisition order),
    passed through a pre-norm Transformer encoder with the padding masked out of attention,
    and the mean of the real frames is classified.

    Parameters
    ----------
    d_model : int, default=128
        Model width.
    n_heads : int, default=4
        Attention heads; must divide ``d_model``.
    num_layers : int, default=2
        Encoder layers.
    dim_feedforward : int, default=256
        Width of the feed-forward blocks.
    dropout : float, default=0.1
        Dropout in the encoder.
    {training_parameters}

    Attributes
    ----------
    {training_attributes}
    """

    _module_class = TransformerModule
    _parameter_constraints: ClassVar[dict] = {
        **BaseCrossEntropyClassifier._parameter_constraints,
        **{
            name: [POSITIVE_INT]
            for name in ("d_model", "n_heads", "num_layers", "dim_feedforward")
        },
        "dropout": [SHARE],
    }

    def __init__(
        self,
        *,
        d_model=128,
        n_heads=4,
        num_layers=2,
        dim_feedforward=256,
        dropout=0.1,
        max_epochs=100,
        batch_size=16,
        lr=1e-4,
        weight_decay=0.0,
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
        self.d_model = d_model
        self.n_heads = n_heads
        self.num_layers = num_layers
        self.dim_feedforward = dim_feedforward
        self.dropout = dropout
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
        self._check_heads_divide("d_model", "n_heads")
