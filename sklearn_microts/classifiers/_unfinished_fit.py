"""What a fit that does not finish leaves behind: a usable estimator, or an unfitted one.

skorch stops training on a ``KeyboardInterrupt`` and returns normally: the estimator is then
fitted with the weights reached so far, which :class:`WarnOnInterrupt` says. Any exception
that leaves ``fit`` (an interrupt outside skorch's training loop, a loss that became NaN)
would leave a mix of the attributes set so far, possibly from an earlier fit, that passes
``check_is_fitted``: :func:`unfitted_on_error` removes them.
"""

import functools
import warnings

from skorch.callbacks import EarlyStopping


class WarnOnInterrupt:
    """skorch net mixin: warn when a ``KeyboardInterrupt`` ends training early.

    skorch's ``partial_fit`` catches the interrupt and finishes as after the last epoch
    (``on_train_end`` runs: early stopping restores its best weights); without the warning
    a model trained for a fraction of its epochs would pass for a finished one. skorch's
    early stopping ends training by raising the same ``KeyboardInterrupt``: that end is
    the planned one, and gives no warning.
    """

    def fit_loop(self, *args, **kwargs):
        try:
            return super().fit_loop(*args, **kwargs)
        except KeyboardInterrupt:
            if self._stopped_early():
                raise
            warnings.warn(
                f"Training was interrupted (KeyboardInterrupt) during epoch "
                f"{len(self.history)} of {self.max_epochs}. The estimator is fitted "
                "with the weights reached then (the best epoch's with early stopping).",
                UserWarning,
                stacklevel=2,
            )
            raise

    def _stopped_early(self):
        return any(
            isinstance(callback, EarlyStopping) and callback.misses_ == callback.patience
            for _, callback in self.callbacks_
        )


def unfitted_on_error(fit):
    """Decorate ``fit`` so that an exception leaving it leaves the estimator unfitted.

    Every fitted attribute (a public name ending in ``_``) is removed before the exception
    goes on: ``predict`` then raises :class:`~sklearn.exceptions.NotFittedError`.
    """

    @functools.wraps(fit)
    def wrapper(self, *args, **kwargs):
        try:
            return fit(self, *args, **kwargs)
        except BaseException:
            for name in [n for n in vars(self) if n.endswith("_") and not n.startswith("_")]:
                delattr(self, name)
            raise

    return wrapper
