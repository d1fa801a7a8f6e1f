"""What the transformers of frame sequences share."""


class SequenceTransformerMixin:
    """Tags of a transformer of cases that keeps the frames' float precision.

    Its input is a list of cases of shape ``(n_frames_i, n_features)`` (a 3-D array when
    they are of equal length), and it returns float32 frames for float32 ones. Put it before
    :class:`~sklearn.base.TransformerMixin` in the bases, whose tags it completes.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
