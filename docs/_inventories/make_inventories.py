"""Write the intersphinx inventories that ``docs/conf.py`` reads, so the docs build offline.

An inventory (``objects.inv``) tells Sphinx where another project documents an object. These
hold only the objects that the pages and the package's docstrings reference, each checked
to exist in the installed package, with the address of its page in that project's online
documentation (the address scheme of each project's published inventory). Add an object
here when a page or a docstring references a new one, then run, from the repository root::

    python docs/_inventories/make_inventories.py

threadpoolctl is not here: it publishes no Sphinx documentation (``nitpick_ignore`` in
``docs/conf.py`` names it).
"""

import importlib
import importlib.metadata
import platform
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent

# name: (project, distribution whose version the header gives, base address,
#        {object: (domain:role, address relative to the base, "$" standing for the object)})
PROJECTS = {
    "python": (
        "Python",
        None,
        "https://docs.python.org/3/",
        {"pickle.dump": ("py:function", "library/pickle.html#$")},
    ),
    "numpy": (
        "NumPy",
        "numpy",
        "https://numpy.org/doc/stable/",
        {"numpy.savez": ("py:function", "reference/generated/$.html#$")},
    ),
    "sklearn": (
        "scikit-learn",
        "scikit-learn",
        "https://scikit-learn.org/stable/",
        {
            name: (role, "modules/generated/$.html#$")
            for name, role in {
                "sklearn.calibration.CalibratedClassifierCV": "py:class",
                "sklearn.calibration.CalibrationDisplay": "py:class",
                "sklearn.ensemble.VotingClassifier": "py:class",
                "sklearn.exceptions.InconsistentVersionWarning": "py:class",
                "sklearn.exceptions.NotFittedError": "py:class",
                "sklearn.frozen.FrozenEstimator": "py:class",
                "sklearn.metrics.ConfusionMatrixDisplay": "py:class",
                "sklearn.model_selection.GridSearchCV": "py:class",
                "sklearn.model_selection.GroupKFold": "py:class",
                "sklearn.model_selection.StratifiedGroupKFold": "py:class",
                "sklearn.model_selection.cross_val_predict": "py:function",
                "sklearn.pipeline.Pipeline": "py:class",
                "sklearn.utils.estimator_checks.parametrize_with_checks": "py:function",
            }.items()
        },
    ),
    "torch": (
        "PyTorch",
        "torch",
        "https://docs.pytorch.org/docs/stable/",
        {
            "torch.nn.Module": ("py:class", "generated/$.html#$"),
            "torch.nn.functional.cross_entropy": ("py:function", "generated/$.html#$"),
            "torch.utils.checkpoint.checkpoint": ("py:function", "checkpoint.html#$"),
        },
    ),
    "joblib": (
        "joblib",
        "joblib",
        "https://joblib.readthedocs.io/en/stable/",
        {
            "joblib.Memory": ("py:class", "generated/$.html#$"),
            "joblib.dump": ("py:function", "generated/$.html#$"),
        },
    ),
    "pywt": (
        "PyWavelets",
        "PyWavelets",
        "https://pywavelets.readthedocs.io/en/latest/",
        {
            "pywt.dwt_max_level": ("py:function", "ref/dwt-discrete-wavelet-transform.html#$"),
            "pywt.mra": ("py:function", "ref/mra.html#$"),
            "pywt.wavelist": ("py:function", "ref/wavelets.html#$"),
        },
    ),
    "skorch": (
        "skorch",
        "skorch",
        "https://skorch.readthedocs.io/en/stable/",
        {
            "skorch.NeuralNet": ("py:class", "net.html#skorch.net.NeuralNet"),
            "skorch.callbacks.Checkpoint": ("py:class", "callbacks.html#$"),
            "skorch.callbacks.LoadInitState": ("py:class", "callbacks.html#$"),
            "skorch.hf.AccelerateMixin": ("py:class", "hf.html#$"),
        },
    ),
    "accelerate": (
        "Accelerate",
        "accelerate",
        "https://huggingface.co/docs/accelerate/",
        {"accelerate.Accelerator": ("py:class", "package_reference/accelerator#$")},
    ),
}


def locate(name):
    """The object of a dotted name, importing its module; ``None`` where the package is not
    installed. Raises ``AttributeError`` where the package lacks it."""
    parts = name.split(".")
    for split in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:split]))
        except ModuleNotFoundError:
            if split == 1:
                return None
            continue
        for attribute in parts[split:]:
            obj = getattr(obj, attribute)
        return obj
    return None


def version(distribution):
    if distribution is None:
        return ".".join(platform.python_version_tuple()[:2])
    try:
        return ".".join(importlib.metadata.version(distribution).split(".")[:2])
    except importlib.metadata.PackageNotFoundError:
        return ""


def inventory(project, release, objects):
    """The bytes of an inventory of version 2 (Sphinx's format) listing ``objects``."""
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project}\n"
        f"# Version: {release}\n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    lines = "".join(
        f"{name} {role} 1 {address.replace('$', name)} -\n"
        for name, (role, address) in sorted(objects.items())
    )
    return header.encode() + zlib.compress(lines.encode(), 9)


def main():
    for name, (project, distribution, _, objects) in PROJECTS.items():
        for obj in objects:
            locate(obj)  # an AttributeError here: the installed package lacks it
        path = HERE / f"{name}.inv"
        path.write_bytes(inventory(project, version(distribution), objects))
        print(f"{path.relative_to(HERE.parents[1])}: {len(objects)} objects")


if __name__ == "__main__":
    main()
