"""Reading and writing the Accelerator Labs' learning-plan archive format (docs: archive-format.md).

`parse` and `write` turn text into a `Document` and back without Django; `mapping` turns a Document into
plain plan content plus a layout and back; `load` and `dump` move that content in and out of the ORM.
"""

# Convenience for other modules (`from plans.archive import dump, write`); these rebind the package
# attributes that importing the submodules of the same name set. Neither import touches the models.
from plans.archive.dump import dump  # noqa: E402
from plans.archive.parse import parse  # noqa: E402
from plans.archive.write import write  # noqa: E402

__all__ = ["dump", "parse", "write"]
