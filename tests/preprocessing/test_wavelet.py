"""WaveletTransformer: additivity, lengths, agreement with pywt per case, errors."""

import numpy as np
import pytest
import pywt
from hypothesis import given
from hypothesis import strategies as st

from sklearn_microts import WaveletTransformer

from ..strategies import sessions

WAVELETS = st.sampled_from(["haar", "db2", "sym4", "coif1", "bior2.2"])


def _split(X, **params):
    """(stable, rapid) per case from a transformer with output="both"."""
    out = WaveletTransformer(output="both", **params).fit(X).transform(X)
    d = X[0].shape[1]
    return [o[:, :d] for o in out], [o[:, d:] for o in out]


@given(
    X=sessions(),
    wavelet=WAVELETS,
    level=st.integers(1, 4),
    method=st.sampled_from(["dwt", "swt"]),
)
def test_parts_sum_to_x_and_keep_lengths(X, wavelet, level, method):
    stable, rapid = _split(X, wavelet=wavelet, level=level, method=method)
    for x, s, r in zip(X, stable, rapid, strict=True):
        assert s.shape == r.shape == x.shape
        np.testing.assert_allclose(s + r, x, rtol=1e-12, atol=1e-12)


@given(
    X=sessions(max_length=80, max_features=8),
    wavelet=WAVELETS,
    level=st.integers(1, 4),
    method=st.sampled_from(["dwt", "swt"]),
)
@pytest.mark.filterwarnings("ignore:norm=True, but the wavelet is not orthogonal")
def test_parts_are_pywt_multiresolution_components_per_case(X, wavelet, level, method):
    stable, rapid = _split(X, wavelet=wavelet, level=level, method=method)
    for x, s, r in zip(X, stable, rapid, strict=True):
        case_level = min(level, pywt.dwt_max_level(len(x), pywt.Wavelet(wavelet).dec_len))
        if case_level == 0:
            np.testing.assert_array_equal(s, x)
            np.testing.assert_array_equal(r, 0.0)
        elif method == "dwt" or len(x) % 2**case_level == 0:  # swt: no padding needed
            components = pywt.mra(x, wavelet, level=case_level, axis=0, transform=method)
            np.testing.assert_allclose(s, components[0], rtol=1e-10, atol=1e-10)
            np.testing.assert_allclose(r, sum(components[1:]), rtol=1e-10, atol=1e-10)


def test_haar_level_one_is_pairwise_mean_and_half_difference():
    x = np.array([[1.0, 0.0], [3.0, 2.0], [10.0, 4.0], [10.0, 8.0]])
    stable, rapid = _split([x])
    np.testing.assert_allclose(stable[0], [[2, 1], [2, 1], [10, 6], [10, 6]], atol=1e-12)
    np.testing.assert_allclose(rapid[0], [[-1, -1], [1, 1], [0, -2], [0, 2]], atol=1e-12)


@pytest.mark.parametrize("method", ["dwt", "swt"])
def test_one_frame_case_is_all_stable(method):
    x = np.array([[1.0, -2.0, 3.0]])
    stable, rapid = _split([x, np.ones((5, 3))], level=3, method=method)
    np.testing.assert_array_equal(stable[0], x)
    np.testing.assert_array_equal(rapid[0], np.zeros_like(x))


@pytest.mark.parametrize("method", ["dwt", "swt"])
def test_constant_case_has_no_rapid_part(method):
    _, rapid = _split([np.full((9, 2), 4.0)], wavelet="db2", level=2, method=method)
    np.testing.assert_allclose(rapid[0], 0.0, atol=1e-12)


def test_swt_is_shift_invariant_where_dwt_is_not():
    # A step seen from two starting points one frame apart: away from the case ends, the
    # stationary analysis gives the same stable part shifted by one frame; the decimated one
    # depends on how frames fall into pairs.
    x = np.r_[np.zeros(8), np.ones(8)][:, None]
    swt = [_split([c], method="swt")[0][0] for c in (x[:-1], x[1:])]
    np.testing.assert_allclose(swt[0][2:-2], swt[1][1:-3], atol=1e-12)
    dwt = [_split([c])[0][0] for c in (x[:-1], x[1:])]
    assert not np.allclose(dwt[0][2:-2], dwt[1][1:-3])


@pytest.mark.parametrize("output", ["stable", "rapid"])
def test_single_part_outputs(output):
    X = [np.random.default_rng(0).normal(size=(7, 3))]
    stable, rapid = _split(X)
    out = WaveletTransformer(output=output).fit(X).transform(X)[0]
    np.testing.assert_allclose(out, stable[0] if output == "stable" else rapid[0])


def test_float32_is_preserved():
    X = [np.ones((6, 2), dtype=np.float32)]
    assert WaveletTransformer().fit(X).transform(X)[0].dtype == np.float32


def test_feature_names():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(np.ones((3, 2)), columns=["area", "hue"])
    names = WaveletTransformer().fit(df).get_feature_names_out().tolist()
    assert names == ["stable_area", "stable_hue", "rapid_area", "rapid_hue"]
    rapid = WaveletTransformer(output="rapid").fit(np.ones((3, 2))).get_feature_names_out()
    assert rapid.tolist() == ["rapid_x0", "rapid_x1"]


def test_a_wavelet_object_is_accepted():
    X = [np.random.default_rng(0).normal(size=(7, 3))]
    by_name = WaveletTransformer(wavelet="db2").fit(X).transform(X)[0]
    by_object = WaveletTransformer(wavelet=pywt.Wavelet("db2")).fit(X).transform(X)[0]
    np.testing.assert_array_equal(by_name, by_object)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"wavelet": "nope"}, "discrete wavelet known to PyWavelets"),
        ({"wavelet": "morl"}, "discrete wavelet"),  # continuous: no multiresolution split
        ({"wavelet": None}, "'wavelet' parameter of WaveletTransformer must be an instance"),
        ({"level": 0}, r"'level' parameter of WaveletTransformer must be an int in the range \[1"),
        ({"level": 1.5}, "'level' parameter of WaveletTransformer must be an int"),
        ({"output": "all"}, "'output' parameter of WaveletTransformer must be a str among"),
        ({"method": "cwt"}, "'method' parameter of WaveletTransformer must be a str among"),
    ],
)
def test_bad_parameters(params, message):
    with pytest.raises(ValueError, match=message):
        WaveletTransformer(**params).fit([np.ones((3, 2))])
