"""The autograd Functions of soft-DTW: an engine's forward pass and its exact gradient.

The engines hand back their forward state (the DP table, the cost, the inputs or their
NumPy layout) for the backward pass. Its tensors go through ``ctx.save_for_backward``, so
that an in-place change of an input between the two passes raises instead of corrupting
the gradient, and the rest (NumPy arrays, the numba layout) stays on ``ctx``.

The engines compute the gradients outside autograd, so the gradients have no derivative
of their own: differentiating them again (``torch.autograd.grad(..., create_graph=True)``
then a backward through the result, as a gradient penalty does) raises a ``RuntimeError``
instead of silently leaving soft-DTW's part out of the second derivative.
"""

import functools

import torch

# Stands on ctx for each tensor of an engine's state, which is kept by save_for_backward.
_SAVED = object()


class _NoSecondDerivative(torch.autograd.Function):
    """The identity on a gradient; differentiating through it raises."""

    @staticmethod
    def forward(ctx, grad):
        return grad.view_as(grad)

    @staticmethod
    def backward(ctx, grad_grad):
        raise RuntimeError(
            "soft-DTW has no second derivative: its gradient is computed outside autograd. "
            "Differentiate it once (create_graph=False), or leave soft-DTW out of the terms "
            "differentiated twice."
        )


def _first_derivative_only(backward):
    """Run ``backward`` outside autograd and mark its gradients as not differentiable.

    torch's ``once_differentiable`` marks the gradients only when the incoming gradient
    requires grad. These gradients also depend on the inputs through the saved state, so
    they are marked whenever the graph of the backward pass is kept (``create_graph=True``).
    """

    @functools.wraps(backward)
    def wrapper(ctx, *grad_outputs):
        with torch.no_grad():
            grads = backward(ctx, *grad_outputs)
        if not torch.is_grad_enabled():
            return grads
        return tuple(
            None if grad is None else _NoSecondDerivative.apply(grad.detach().requires_grad_())
            for grad in grads
        )

    return wrapper


class SoftDTW(torch.autograd.Function):
    """Soft-DTW of float64 sequences; the engine computes the cost and its gradient."""

    @staticmethod
    def forward(ctx, x, y, x_lengths, y_lengths, gamma, engine):
        values, state = engine.soft_dtw(x, y, x_lengths, y_lengths, gamma)
        _save_state(ctx, state, gamma, engine)
        return values

    @staticmethod
    @_first_derivative_only
    def backward(ctx, grad_values):
        grad_x, grad_y = ctx.engine.soft_dtw_backward(_saved_state(ctx), ctx.gamma, grad_values)
        return grad_x, grad_y, None, None, None, None


class SoftDTWFromCost(torch.autograd.Function):
    """Soft-DTW of a given float64 cost matrix."""

    @staticmethod
    def forward(ctx, cost, x_lengths, y_lengths, gamma, engine):
        values, state = engine.soft_dtw_from_cost(cost, x_lengths, y_lengths, gamma)
        _save_state(ctx, state, gamma, engine)
        return values

    @staticmethod
    @_first_derivative_only
    def backward(ctx, grad_values):
        grad_cost = ctx.engine.soft_dtw_from_cost_backward(
            _saved_state(ctx), ctx.gamma, grad_values
        )
        return grad_cost, None, None, None, None


def _save_state(ctx, state, gamma, engine):
    """Keep what the backward pass needs: the tensors of the engine's state by
    ``save_for_backward``, the rest of it, ``gamma`` and the engine on ``ctx``."""
    ctx.gamma, ctx.engine = gamma, engine
    ctx.save_for_backward(*(item for item in state if torch.is_tensor(item)))
    ctx.state = tuple(_SAVED if torch.is_tensor(item) else item for item in state)


def _saved_state(ctx):
    """The state given to :func:`_save_state`, in its order."""
    tensors = iter(ctx.saved_tensors)
    return tuple(next(tensors) if item is _SAVED else item for item in ctx.state)
