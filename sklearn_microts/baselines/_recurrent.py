"""LSTM and GRU baselines: recurrent networks over the frames in acquisition order."""

from typing import ClassVar

from ..classifiers._base import BASELINE_HISTORY, TRAINING_DOCS, BaseCrossEntropyClassifier
from ..nn import RecurrentModule
from ..utils._docstring import Substitution
from ..utils._validation import POSITIVE_INT, SHARE


class _RecurrentClassifier(BaseCrossEntropyClassifier):
    _module_class = RecurrentModule
    _kind = None
    _parameter_constraints: ClassVar[dict] = {
        **BaseCrossEntropyClassifier._parameter_constraints,
        "hidden_size": [POSITIVE_INT],
        "num_layers": [POSITIVE_INT],
        "bidirectional": ["boolean"],
        "dropout": [SHARE],
    }

    def __init__(
        self,
        *,
        hidden_size=128,
        num_layers=1,
        bidirectional=False,
        dropout=0.0,
        max_epochs=100,
        batch_size=16,
        lr=1e-3,
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
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bidirectional = bidirectional
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

    def _module_params(self, n_features, n_classes):
        return {**super()._module_params(n_features, n_classes), "kind": self._kind}


# The docstring pieces of the two recurrent classifiers.
_recurrent_docs = Substitution(
    recurrent_description="""\
The frames are read in acquisition order and the last hidden state is classified (a
baseline of Hong et al.). Packed sequences stop the recurrence at each case's last real
frame: padding never changes a prediction.""",
    recurrent_parameters="""\
hidden_size : int, default=128
    Width of the hidden state.
num_layers : int, default=1
    Stacked recurrent layers.
bidirectional : bool, default=False
    Also read the frames backwards.
dropout : float, default=0.0
    Dropout between stacked layers.""",
    **TRAINING_DOCS,
    lr="1e-3",
    optimizer="Adam",
    weight_decay="0.0",
    history=BASELINE_HISTORY,
)


@_recurrent_docs
class LSTMClassifier(_RecurrentClassifier):
    """LSTM classifier of cases: an LSTM over their frames.

    {recurrent_description}

    Parameters
    ----------
    {recurrent_parameters}
    {training_parameters}

    Attributes
    ----------
    {training_attributes}
    """

    _kind = "lstm"


@_recurrent_docs
class GRUClassifier(_RecurrentClassifier):
    """GRU classifier of cases: a GRU over their frames.

    {recurrent_description}

    Parameters
    ----------
    {recurrent_parameters}
    {training_parameters}

    Attributes
    ----------
    {training_attributes}
    """

    _kind = "gru"
