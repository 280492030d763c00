"""Self-checks for the exercises at the end of every notebook.

Each notebook has a module here (``nb01`` ... ``nb12``) with one ``check_...`` function per
exercise. A check accepts any correct answer and, for a wrong one, says *what* is wrong
(wrong shape, rows that do not sum to 1, off by the scale factor, ...) without giving the
solution away. It returns a :class:`Result`, shown in a notebook as a one-line verdict::

    from attention_utils.exercises import nb04
    nb04.check_scores(scores)      # -> "✅ Correct: ..." or "❌ Not yet: ..."

The building blocks shared by every notebook's checks live in :mod:`.core`: the verdict
(:class:`Result`), the one way to call a student's function (:func:`call_answer`), the one way
to turn an answer into a tensor (:func:`as_tensor`) or a number (:func:`as_number`), and the
diagnosis of a wrong tensor (:func:`compare_tensor`, :func:`diagnose`).
"""

from attention_utils.exercises.core import (
    Result,
    as_number,
    as_tensor,
    call_answer,
    compare_tensor,
    diagnose,
)

__all__ = ["Result", "as_number", "as_tensor", "call_answer", "compare_tensor", "diagnose"]
