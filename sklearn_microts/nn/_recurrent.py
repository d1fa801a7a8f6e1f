"""LSTM and GRU sequence classifiers: the frames read in acquisition order."""

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from ..utils._docstring import Substitution
from ._data import MODULE_DOCS


@Substitution(**MODULE_DOCS)
class RecurrentModule(nn.Module):
    """An LSTM or GRU over the real frames of each case, its last hidden state classified.

    Packed sequences make the recurrence stop at each case's last real frame, so padding
    never changes a prediction (and ``batch_first=True`` reads the batch the right way: a
    recurrent net fed batch-first data as time-first scores below chance).

    Parameters
    ----------
    {n_features}
    {n_classes}
    kind : {"lstm", "gru"}
        The recurrent network.
    hidden_size : int
        Width of the hidden state.
    num_layers : int
        Stacked recurrent layers.
    bidirectional : bool
        Also read the frames backwards.
    dropout : float
        Dropout between stacked layers.
    """

    def __init__(
        self,
        n_features,
        n_classes,
        *,
        kind,
        hidden_size,
        num_layers,
        bidirectional,
        dropout,
    ):
        super().__init__()
        recurrent = {"lstm": nn.LSTM, "gru": nn.GRU}[kind]
        self.recurrent = recurrent(
            n_features,
            hidden_size,
            num_layers=num_layers,
            batch_first=True,
            bidirectional=bidirectional,
            dropout=dropout if num_layers > 1 else 0.0,
        )
        self.classifier = nn.Linear(hidden_size * (2 if bidirectional else 1), n_classes)

    @Substitution(**MODULE_DOCS)
    def forward(self, x, mask):
        """Compute the case logits of a batch of cases.

        Parameters
        ----------
        {x}
        {mask}

        Returns
        -------
        {case_outputs}
        """
        packed = pack_padded_sequence(x, mask.sum(1).cpu(), batch_first=True, enforce_sorted=False)
        _, state = self.recurrent(packed)
        hidden = state[0] if isinstance(state, tuple) else state  # LSTM: (h, c)
        directions = 2 if self.recurrent.bidirectional else 1
        last_layer = hidden[-directions:]  # (directions, B, hidden)
        return (self.classifier(torch.cat(list(last_layer), dim=-1)),)
