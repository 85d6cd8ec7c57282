"""CryoTx: safe, measurable cryotherapy.

Layers (see ``docs/architecture.md``): ``physics`` (thermal engine) ← ``clinical``
(screening, evidence, planning) ← ``session`` ← ``store``/``interop`` ← ``services`` ←
``api``/``web``/``cli``.  Dependencies point inward only.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
