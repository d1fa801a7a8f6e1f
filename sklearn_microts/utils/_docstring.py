"""Docstring pieces shared by the public API, and the decorator that fills them in.

A docstring stays one literal string in the source (what ``ast`` and editors read) and names
a shared piece by a placeholder on a line of its own, at the indentation the piece takes::

    @Substitution(**SEQUENCE_DOCS)
    def predict(self, X):
        \"\"\"Predict the class of each case.

        Parameters
        ----------
        {X}
        \"\"\"

The piece is written once, without indentation; every line of it takes the placeholder's.
Inline placeholders (``default={lr}``) take one-line values. A piece may hold placeholders
of its own, filled in turn. Braces that hold no plain name, as numpydoc's option sets
(``{"auto", "exact"}``), are text, and so is everything inside double backquotes.
"""

import re

# A placeholder: a name in braces. Option sets ({"a", "b"}, {0, 1}) never match.
_PLACEHOLDER = re.compile(r"\{([A-Za-z_]\w*)\}")
# Inline literals, left as they are (a file pattern such as ``dsfold{fold}.txt``).
_LITERAL = re.compile(r"(``.*?``)")
# Pieces within pieces: a bound on the depth, against a piece that names itself.
_MAX_DEPTH = 5


class Substitution:
    """Decorator filling the ``{name}`` placeholders of a docstring with shared pieces.

    Parameters
    ----------
    **pieces : str
        The text of each placeholder name, written without indentation.

    Raises
    ------
    KeyError
        When decorating an object whose docstring names a placeholder without a piece.

    Examples
    --------
    >>> from sklearn_microts.utils._docstring import Substitution
    >>> @Substitution(X="X : list of array-like\\n    Cases.")
    ... def predict(X):
    ...     '''Predict.
    ...
    ...     Parameters
    ...     ----------
    ...     {X}
    ...     '''
    >>> import inspect
    >>> print(inspect.getdoc(predict))
    Predict.
    <BLANKLINE>
    Parameters
    ----------
    X : list of array-like
        Cases.
    """

    def __init__(self, **pieces):
        self.pieces = pieces

    def __call__(self, obj):
        if obj.__doc__:  # None under ``python -OO``
            obj.__doc__ = self.fill(obj.__doc__)
        return obj

    def fill(self, text):
        """Return ``text`` with its placeholders filled, pieces within pieces included.

        Parameters
        ----------
        text : str
            A docstring.

        Returns
        -------
        filled : str
            The docstring with every placeholder replaced by its piece, indented as the
            line that holds the placeholder.
        """
        for _ in range(_MAX_DEPTH):
            filled = "\n".join(self._fill_line(line) for line in text.split("\n"))
            if filled == text:
                return filled
            text = filled
        raise ValueError(f"Docstring pieces nest deeper than {_MAX_DEPTH} levels.")

    def _fill_line(self, line):
        indent = line[: len(line) - len(line.lstrip())]

        def piece(match):
            name = match.group(1)
            if name not in self.pieces:
                raise KeyError(f"No docstring piece for the placeholder {{{name}}}.")
            return self.pieces[name].strip("\n").replace("\n", "\n" + indent)

        parts = _LITERAL.split(line)  # literals at the odd positions
        parts[::2] = [_PLACEHOLDER.sub(piece, part) for part in parts[::2]]
        return "".join(parts)


# -- the pieces the sequence estimators share ------------------------------------------------

SEQUENCE_DOCS = {
    "X": """\
X : list of array-like of shape (n_frames_i, n_features)
    Cases.""",
    "X_train": """\
X : list of array-like of shape (n_frames_i, n_features)
    Training cases.""",
    "y_train": """\
y : array-like of shape (n_cases,)
    Case labels, of any type.""",
    "y_test": """\
y : array-like of shape (n_cases,)
    True labels.""",
    "y_ignored": """\
y : Ignored
    Present for API consistency.""",
    "features_in": """\
n_features_in_ : int
    Number of features of each frame seen in :meth:`fit`.
feature_names_in_ : ndarray of shape (`n_features_in_`,)
    Names of the features seen in :meth:`fit`, when ``X`` was a DataFrame.""",
    "input_features": """\
input_features : array-like of str, default=None
    Input feature names; by default ``feature_names_in_`` or ``x0, x1, ...``.""",
    "feature_names_out": """\
feature_names_out : ndarray of str
    Names of the columns :meth:`transform` returns.""",
}
