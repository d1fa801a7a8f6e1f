"""Estimators to a JSON document and a set of tensors, and back.

The document is made of JSON values and of tagged objects ``{"kind": ...}``: a tuple, a dict
(of any keys), a non-finite float, a numpy scalar, an array (numbers as a reference into the
tensors, text in the document), a tensor, a torch device, a pywt wavelet, a numpy
``RandomState``, a skorch ``History``, an estimator of an allowed class (its parameters, its
other attributes, and the parts rebuilt rather than stored), and a reference to an object
met before (a pipeline shared by a calibrated model keeps being one object). Decoding calls
no callable the file names: classes come from the allow-list, values from their data.
"""

import math
from typing import ClassVar

import numpy as np
import pywt
import torch
from sklearn.base import BaseEstimator
from skorch.history import History

from ..utils._persistence import VERSION_KEY, VersionedPickleMixin
from ._allowed import allowed_classes, allowed_names, parts_of
from ._errors import ModelFileError

# dtype kinds stored as tensors (bool, int, uint, float); text and objects go in the JSON.
_TENSOR_KINDS = "biuf"
_NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
# The deepest nesting of values a model file may hold. A pipeline of calibrated classifiers
# nests about 15 deep; a crafted file could nest until Python's recursion limit.
MAX_DEPTH = 64
# The most bytes a text array of the document may unpack into: its width is the file's word
# (a "<U10000000" dtype of one short item would take 40 MB an item).
_MAX_TEXT_ARRAY_BYTES = 64 << 20
# What building a value from a crafted record can raise (a bad dtype, shape or state, an
# integer out of range, a class's own checks): each a ModelFileError naming the value.
_MALFORMED = (
    KeyError,
    TypeError,
    ValueError,
    AttributeError,
    IndexError,
    RuntimeError,
    OverflowError,
    NotImplementedError,
)


def encode(root):
    """``(document, tensors)`` of ``root``; a ``TypeError`` names any value a model file
    cannot hold, by its path from the root."""
    encoder = _Encoder()
    return {"root": encoder.encode(root, "model")}, encoder.tensors


def decode(document, tensors, *, saved_version):
    """The object of :func:`encode`'s ``document`` and ``tensors``; a
    :class:`~._errors.ModelFileError` names anything else."""
    if not isinstance(document, dict) or set(document) != {"root"}:
        raise ModelFileError("The model document is not an object with one member, root.")
    return _Decoder(tensors, saved_version).decode(document["root"], "model")


class _Encoder:
    def __init__(self):
        self.tensors = {}
        self._numbers = {}  # id of an array, tensor or object -> its number in the document
        self._numbered = []  # the objects numbered, kept alive so that no id is reused

    def encode(self, value, where):
        cls = type(value)
        if isinstance(value, np.generic):
            return self._scalar(value, where)
        if value is None or cls in (bool, int, str):
            return value
        if cls is float:
            return value if math.isfinite(value) else {"kind": "float", "value": repr(value)}
        if cls is list:
            return [self.encode(item, f"{where}[{i}]") for i, item in enumerate(value)]
        if cls is tuple:
            return {"kind": "tuple", "items": self.encode(list(value), where)}
        if cls is History:
            return {"kind": "history", "items": self.encode(list(value), where)}
        if isinstance(value, dict) and cls.__module__ in ("builtins", "collections"):
            items = [
                [self.encode(key, f"{where} key"), self.encode(item, f"{where}[{key!r}]")]
                for key, item in value.items()
            ]
            return {"kind": "dict", "items": items}
        if cls is torch.device:
            return {"kind": "device", "value": str(value)}
        if cls is pywt.Wavelet:
            return self._wavelet(value)
        if cls is np.random.RandomState:
            state = self.encode(value.get_state(legacy=True), f"{where} state")
            return {"kind": "random_state", "state": state}
        if cls is np.ndarray:
            return self._once(value, where, self._array)
        if cls in (torch.Tensor, torch.nn.Parameter):
            return self._once(value, where, self._tensor)
        name = allowed_names().get(cls)
        if name is not None:
            return self._once(value, where, lambda obj, at: self._object(obj, name, at))
        raise TypeError(
            f"Cannot save {where}: a {cls.__module__}.{cls.__qualname__} is none of the "
            "types a model file holds (the package's estimators, scikit-learn's Pipeline and "
            "calibration, numbers, text, arrays and their containers)."
        )

    def _once(self, value, where, encode):
        """``encode(value)`` numbered the first time, a reference to it after."""
        number = self._numbers.get(id(value))
        if number is not None:
            return {"kind": "ref", "id": number}
        number = self._numbers[id(value)] = len(self._numbered)
        self._numbered.append(value)
        return {"id": number, **encode(value, where)}

    def _scalar(self, value, where):
        if value.dtype.kind not in _TENSOR_KINDS + "U" or (
            value.dtype.kind == "f" and value.dtype.itemsize > 8
        ):
            raise TypeError(f"Cannot save {where}: a numpy {value.dtype} scalar.")
        item = self.encode(value.item(), where)
        return {"kind": "scalar", "dtype": value.dtype.str, "value": item}

    def _array(self, array, where):
        dtype = array.dtype
        if dtype.kind in _TENSOR_KINDS and dtype.isnative and dtype.itemsize <= 8:
            return self._store(torch.from_numpy(np.array(array, order="C")), "ndarray")
        record = {"kind": "ndarray", "dtype": dtype.str, "shape": list(array.shape)}
        if dtype.kind == "U":
            return {**record, "items": array.ravel().tolist()}
        if dtype.kind == "O":
            items = [self.encode(item, f"{where}[{i}]") for i, item in enumerate(array.ravel())]
            return {**record, "items": items}
        raise TypeError(f"Cannot save {where}: a numpy array of dtype {dtype}.")

    def _tensor(self, tensor, where):
        # A copy of its own: safetensors refuses tensors that share memory.
        return self._store(tensor.detach().to("cpu", copy=True).contiguous(), "tensor")

    def _store(self, tensor, kind):
        name = f"t{len(self.tensors)}"
        self.tensors[name] = tensor
        return {"kind": kind, "tensor": name}

    def _wavelet(self, wavelet):
        builtin = wavelet.name in pywt.wavelist(kind="discrete")
        if builtin and pywt.Wavelet(wavelet.name).filter_bank == wavelet.filter_bank:
            return {"kind": "wavelet", "name": wavelet.name}
        return {"kind": "wavelet", "name": wavelet.name, "filter_bank": wavelet.filter_bank}

    def _object(self, obj, name, where):
        state = dict(vars(obj))
        state.pop(VERSION_KEY, None)
        record = {"kind": "object", "class": name, "params": {}}
        if isinstance(obj, BaseEstimator):
            params = obj.get_params(deep=False)
            record["params"] = {key: self.encode(v, f"{where}.{key}") for key, v in params.items()}
            for key in params:
                state.pop(key, None)
        rebuilt = {
            part: state.pop(part.attribute)
            for part in parts_of(type(obj))
            if part.attribute in state
        }
        record["attributes"] = {key: self.encode(v, f"{where}.{key}") for key, v in state.items()}
        record["parts"] = {
            part.attribute: part.dump(obj, value, self, where) for part, value in rebuilt.items()
        }
        return record


class _Decoder:
    def __init__(self, tensors, saved_version):
        self._tensors = tensors
        self._saved_version = saved_version
        self._objects = {}
        self._depth = 0

    def decode(self, data, where):
        if data is None or type(data) in (bool, int, float, str):
            return data
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise ModelFileError(f"{where} nests values deeper than {MAX_DEPTH} levels.")
            return self._decode_nested(data, where)
        finally:
            self._depth -= 1

    def _decode_nested(self, data, where):
        if type(data) is list:
            return [self.decode(item, f"{where}[{i}]") for i, item in enumerate(data)]
        kind = data.get("kind") if type(data) is dict else None
        if kind == "ref":
            return self._reference(data, where)
        read = self._READERS.get(kind) if isinstance(kind, str) else None
        if read is None:
            raise ModelFileError(f"{where} is of an unknown kind: {kind!r}.")
        try:
            value = read(self, data, where)
        except ModelFileError:
            raise
        except _MALFORMED as exc:
            raise ModelFileError(
                f"{where}: a malformed {kind} ({type(exc).__name__}: {exc})."
            ) from exc
        if "id" in data and kind != "object":  # an object numbers itself once it exists
            self._number(data["id"], value, where)
        return value

    def _number(self, number, value, where):
        if type(number) is not int or number in self._objects:
            raise ModelFileError(f"{where} has a wrong or repeated id: {number!r}.")
        self._objects[number] = value

    def _reference(self, data, where):
        number = data.get("id")
        if type(number) is not int or number not in self._objects:
            raise ModelFileError(f"{where} refers to no object met before (id {number!r}).")
        return self._objects[number]

    def _float(self, data, where):
        return _NON_FINITE[data["value"]]

    def _tuple(self, data, where):
        return tuple(self._items(data, where))

    def _history(self, data, where):
        return History(self._items(data, where))

    def _items(self, data, where):
        items = data["items"]
        if type(items) is not list:
            raise TypeError("items is not a list")
        return self.decode(items, where)

    def _dict(self, data, where):
        pairs = self._items(data, where)
        return dict(pairs)

    def _scalar(self, data, where):
        dtype = np.dtype(data["dtype"])
        if dtype.kind not in _TENSOR_KINDS + "U":
            raise ValueError(f"dtype {dtype}")
        return dtype.type(self.decode(data["value"], where))

    def _stored(self, data):
        name = data["tensor"]
        if type(name) is not str or name not in self._tensors:
            raise ModelFileError(f"A value refers to the tensor {name!r}, which is not stored.")
        return self._tensors[name]

    def _ndarray(self, data, where):
        if "tensor" in data:
            return self._stored(data).numpy()
        dtype = np.dtype(data["dtype"])
        if dtype.kind not in "UO":
            raise ValueError(f"dtype {dtype}")
        items = data["items"] if dtype.kind == "U" else self._items(data, where)
        if type(items) is not list:
            raise TypeError("items is not a list")
        shape = data["shape"]
        if not (type(shape) is list and all(type(n) is int and n >= 0 for n in shape)):
            raise ValueError(f"shape {shape!r}")
        if math.prod(shape) != len(items):
            raise ValueError(f"shape {shape} for {len(items)} items")
        if dtype.kind == "U":
            if not all(type(item) is str for item in items):
                raise TypeError("a text array holds something else")
            if dtype.itemsize * len(items) > _MAX_TEXT_ARRAY_BYTES:
                raise ValueError(f"{len(items)} items of dtype {dtype} exceed the cap")
        array = np.empty(len(items), dtype=dtype)
        for i, item in enumerate(items):  # one by one: an item may itself be a sequence
            array[i] = item
        return array.reshape(shape)

    def _tensor(self, data, where):
        return self._stored(data)

    def _device(self, data, where):
        return torch.device(data["value"])

    def _wavelet(self, data, where):
        if "filter_bank" not in data:
            return pywt.Wavelet(data["name"])
        return pywt.Wavelet(data["name"], filter_bank=self.decode(data["filter_bank"], where))

    def _random_state(self, data, where):
        random_state = np.random.RandomState()
        random_state.set_state(self.decode(data["state"], where))
        return random_state

    def _object(self, data, where):
        name = data["class"]
        cls = allowed_classes().get(name) if type(name) is str else None
        if cls is None:
            raise ModelFileError(
                f"{where} is of the class {name!r}, which a model file may not hold; it holds "
                f"only these: {', '.join(sorted(allowed_classes()))}."
            )
        params = self._members(data, "params", where)
        if issubclass(cls, BaseEstimator):
            try:
                obj = cls(**params)
            except TypeError as exc:
                raise ModelFileError(f"{where}: {name}: {exc}") from exc
        elif params:
            raise ModelFileError(f"{where}: {name} takes no parameters.")
        else:
            obj = cls.__new__(cls)
        self._number(data["id"], obj, where)
        obj.__dict__.update(self._members(data, "attributes", where))
        if isinstance(obj, VersionedPickleMixin):
            # As for a pickle: a fitted attribute this version reads that the file lacks is
            # a NotFittedError naming both versions.
            obj.__dict__[VERSION_KEY] = self._saved_version
        check = getattr(obj, "_check_fitted_state", None)
        if check is not None:  # before any part is rebuilt from these attributes
            check()
        parts = data["parts"]
        known = {part.attribute: part for part in parts_of(cls)}
        if type(parts) is not dict or not set(parts) <= set(known):
            raise ModelFileError(f"{where}: {name} has no rebuilt parts {sorted(parts)}.")
        for attribute, record in parts.items():
            known[attribute].restore(obj, record, self, where)
        return obj

    def _members(self, data, key, where):
        members = data[key]
        if type(members) is not dict or not all(
            type(name) is str and not name.startswith("__") for name in members
        ):
            raise ModelFileError(f"{where}: its {key} are not a map of names.")
        return {name: self.decode(value, f"{where}.{name}") for name, value in members.items()}

    _READERS: ClassVar[dict] = {
        "float": _float,
        "tuple": _tuple,
        "history": _history,
        "dict": _dict,
        "scalar": _scalar,
        "ndarray": _ndarray,
        "tensor": _tensor,
        "device": _device,
        "wavelet": _wavelet,
        "random_state": _random_state,
        "object": _object,
    }
