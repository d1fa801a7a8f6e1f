"""The parts of ``benchmarks/compare.py``, one job a module.

``data`` (the datasets and their splits), ``sktime_adapter`` (sktime's classifiers on ragged
cases), ``models`` (the methods compared), ``metrics`` (which scores a dataset reports),
``run`` (fitting and scoring every method on every split), ``ablations`` (Fig. 4),
``tables`` and ``plots`` (the outputs).
"""
