"""Self-checks for the exercises at the end of every notebook.

Each notebook has a module here (``nb01`` ... ``nb09``) with one ``check_...`` function per
exercise. A check accepts any correct answer and, for a wrong one, says *what* is wrong
(wrong shape, rows that do not sum to 1, off by the scale factor, ...) without giving the
solution away. It returns a :class:`Result`, shown in a notebook as a one-line verdict::

    from attention_utils.exercises import nb04
    nb04.check_scores(scores)      # -> "✅ Correct: ..." or "❌ Not yet: ..."

The building blocks shared by every notebook's checks live in :mod:`._core`.
"""

from attention_utils.exercises._core import Result, check_function, compare_tensor

__all__ = ["Result", "check_function", "compare_tensor"]
