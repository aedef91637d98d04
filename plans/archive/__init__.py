"""Reading and writing the Accelerator Labs' learning-plan archive format (docs: archive-format.md).

`parse` and `write` turn text into a `Document` and back without Django; `mapping` turns a Document into
plain plan content plus a layout and back; `load` and `dump` move that content in and out of the ORM.
"""
