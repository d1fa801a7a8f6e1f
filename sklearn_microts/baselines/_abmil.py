"""ABMIL baseline: gated attention-based multiple-instance learning (Ilse et al., 2018)."""

from typing import ClassVar

from ..classifiers._base import BASELINE_HISTORY, TRAINING_DOCS, BaseCrossEntropyClassifier
from ..nn import ABMILModule
from ..utils._docstring import Substitution
from ..utils._validation import POSITIVE_INT, SHARE


@Substitution(
    **TRAINING_DOCS, lr="5e-4", optimizer="Adam", weight_decay="1e-4", history=BASELINE_HISTORY
)
class ABMILClassifier(BaseCrossEntropyClassifier):
    """Gated attention MIL classifier: each case is a bag of frames (a baseline of Hong et al.).

    Instance embedding ``ReLU(W x)``, gated attention pooling over the real frames (a
    masked softmax), a linear classifier to any number of classes. Frames are shuffled
    within each bag during training, as in the paper. Defaults are Ilse et al.'s.

    Parameters
    ----------
    embed_dim : int, default=500
        Instance embedding width M.
    attention_dim : int, default=128
        Attention width L.
    dropout : float, default=0.0
        Dropout after the embedding.
    {training_parameters}

    Attributes
    ----------
    {training_attributes}
    """

    _module_class = ABMILModule
    _parameter_constraints: ClassVar[dict] = {
        **BaseCrossEntropyClassifier._parameter_constraints,
        "embed_dim": [POSITIVE_INT],
        "attention_dim": [POSITIVE_INT],
        "dropout": [SHARE],
    }

    def __init__(
        self,
        *,
        embed_dim=500,
        attention_dim=128,
        dropout=0.0,
        max_epochs=100,
        batch_size=16,
        lr=5e-4,
        weight_decay=1e-4,
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
        self.embed_dim = embed_dim
        self.attention_dim = attention_dim
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
