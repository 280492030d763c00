"""Builds the course from this repository: the static site, student copies, slides, links.

For the maintainers only: this folder is neither part of the installed ``attention_utils``
package nor copied to students. Run its modules from the repository's root folder, e.g.
``python -m course.site`` (the Makefile's targets do).
"""
