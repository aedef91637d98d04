"""Import archive files: the work behind `import_plans` and `bench_import`.

One transaction per file: a file that fails writes nothing and the others are still imported. Messages
use the compiler convention `FILE:LINE: message` (and `FILE:LINE: warning: message` for what was recovered
without loss) so that editors and CI can jump to the line.
"""

import multiprocessing as mp
import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from django.db import DatabaseError, connection, transaction
from django.utils.translation import gettext as _

from plans import cache, countries, search
from plans.archive.document import ArchiveError, Problem, gettext_noop
from plans.archive.load import Loader, Pending, digest
from plans.archive.mapping import read
from plans.archive.parse import MAX_BYTES, decode, parse
from plans.validators import valid_coordinates

SUFFIXES = {".md", ".txt"}
CHUNK = 100  # new plans written per transaction


@dataclass
class Result:
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    seconds: float = 0.0
    plan_ids: list[int] = field(default_factory=list)

    def summary(self) -> str:
        line = _("imported %(n)d, updated %(m)d, failed %(k)d in %(s).1f s") % {
            "n": self.imported,
            "m": self.updated,
            "k": self.failed,
            "s": self.seconds,
        }
        if self.unchanged:
            line += " " + _("(%(u)d unchanged)") % {"u": self.unchanged}
        return line


def collect(paths: list[str]) -> list[Path]:
    """The files to import: given files as they are, folders walked for .md/.txt files (their README.md,
    the licence notice of the corpus, is not a plan)."""
    files: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            files += sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in SUFFIXES and p.name.lower() != "readme.md"
            )
        else:
            files.append(path)
    return files


class Progress:
    """A one-line progress bar, only on a terminal."""

    def __init__(self, total: int, stream: TextIO):
        self.total, self.stream, self.done = total, stream, 0
        self.active = total > 1 and hasattr(stream, "isatty") and stream.isatty()

    def step(self) -> None:
        self.done += 1
        if self.active and (self.done % 10 == 0 or self.done == self.total):
            filled = 30 * self.done // self.total
            self.stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total}")
            self.stream.flush()

    def clear(self) -> None:
        if self.active:
            self.stream.write("\r" + " " * 50 + "\r")

    def say(self, message: str) -> None:
        self.clear()
        self.stream.write(message + "\n")


def refuse_impossible_coordinates(text: str, plan: dict) -> None:
    """An ArchiveError at the `[[latlng:…]]` line when the file places the plan off Earth (NaN, infinity,
    latitude 91…): one such plan emptied the public map."""
    if plan["latitude"] is None or valid_coordinates(plan["latitude"], plan["longitude"]):
        return
    lines = text.split("\n")
    line = next((n for n, value in enumerate(lines, 1) if value.startswith("[[latlng:")), 1)
    value = lines[line - 1].removeprefix("[[latlng:").removesuffix("]]")
    raise ArchiveError(
        line,
        gettext_noop(
            "coordinates %(value)s are not a place on Earth (latitude -90 to 90, longitude -180 to 180)"
        ),
        value=value,
    )


def unmapped_country(text: str, country: str) -> list[Problem]:
    """A warning at the `[[country:…]]` line when it names no ISO 3166 country (plans/countries.py): the plan
    is imported, with its lab's country code if its lab has one."""
    if not country or countries.code_for(country):
        return []
    line = next((n for n, value in enumerate(text.split("\n"), 1) if value.startswith("[[country:")), 1)
    return [
        Problem(line, gettext_noop("country “%(name)s” is not an ISO 3166 country name"), {"name": country})
    ]


def prepare(path: Path, known_sha: str | None) -> tuple:
    """What one file holds, found without the database: ("unchanged", sha) when its fingerprint is
    `known_sha`; ("failed", line, message) when it cannot be imported; else ("read", its `Pending`, its
    warnings). Plain data, so that another process can make it. Messages are translated here: a child
    process has the same active language as the importer."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ArchiveError(1, gettext_noop("file is larger than the 2 MB limit"))
        data = path.read_bytes()
        sha = digest(data)
        if sha == known_sha:
            return ("unchanged", sha)
        text = decode(data)
        doc, warnings = parse(text)
        content, layout = read(doc)
        refuse_impossible_coordinates(text, content["plan"])
    except ArchiveError as exc:
        return ("failed", exc.line, _(exc.template) % exc.params)
    except OSError as exc:
        return ("failed", 1, _("cannot be read: %(error)s") % {"error": exc.strerror or exc})
    warnings += unmapped_country(text, content["plan"]["country"])
    markers = any(s.marker for s in doc.sections)
    item = Pending(path.name, content, layout, sha, "\n".join(doc.title_lines), markers).prepare()
    return ("read", item, warnings)


def _prepare(job: tuple[Path, str | None], ahead: Callable[[Pending], None] | None = None) -> tuple:
    """`prepare(*job)`, then `ahead` on a new file's `Pending` (`Loader.index_ahead`)."""
    found = prepare(*job)
    if ahead is not None and found[0] == "read" and job[1] is None:
        ahead(found[1])
    return found


READ_AHEAD_FROM = 50  # files: fewer are read in this process (starting another costs ~20 ms)
READERS = 2  # reading processes


def _single_threaded() -> bool:
    """Whether this process may fork safely (a thread holding a lock at fork time would leave the child's
    copy of that lock held forever)."""
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return threading.active_count() == 1


def _read_ahead(jobs: list[tuple[Path, str | None]], out, ahead: Callable[[Pending], None] | None) -> None:
    """In the forked process: `_prepare` each job and send ("ok", result), or ("error", exception) and
    stop."""
    try:
        for job in jobs:
            out.send(("ok", _prepare(job, ahead)))
    except BaseException as exc:  # the importer raises it: an error here must not look like the end
        try:
            out.send(("error", exc))
        except Exception:  # an exception that does not pickle
            out.send(("error", RuntimeError(repr(exc))))
    finally:
        out.close()


def prepared(
    files: list[Path], known: dict[str, tuple[int, str]], ahead: Callable[[Pending], None] | None = None
) -> Iterator[tuple[Path, tuple]]:
    """(file, `prepare(file)`) for each file, in order, with `ahead` applied to each new file's `Pending`.
    For many files, forked processes read and map them (and run `ahead`) while this one writes to the
    database: parsing and mapping were a quarter of the import's time, analysing words for the search
    index a third. A child never touches the database (it inherits the connection and leaves it
    alone). Whether a file is unchanged is decided against `known` as it is now: during the import it
    changes only for the names already imported, and a second file of the same name is refused before its
    turn.

    Two processes (each reading every other file) with a pipe and a receiving thread each, not
    `multiprocessing.Pool`: the pool's thread that maintains its workers woke tens of thousands of times
    per import (at each result, until its other thread had received it) and took the importer's CPU. A
    receiving thread waits in `read()`, without the GIL, and lets its reading process run as far ahead as
    it can (a pipe holds a few files). Two, because reading and analysing a file takes longer than writing
    it: one reading process kept the importer waiting."""
    jobs = [(path, known.get(path.name, (None, None))[1]) for path in files]
    if len(jobs) < READ_AHEAD_FROM or "fork" not in mp.get_all_start_methods() or not _single_threaded():
        yield from zip(files, (_prepare(job, ahead) for job in jobs), strict=True)
        return
    context = mp.get_context("fork")
    readers, pipes = [], []
    for k in range(READERS):  # all forked before any thread starts (see `_single_threaded`)
        incoming, outgoing = context.Pipe(duplex=False)
        reader = context.Process(target=_read_ahead, args=(jobs[k::READERS], outgoing, ahead), daemon=True)
        reader.start()
        outgoing.close()
        readers.append(reader)
        pipes.append(incoming)
    queues: list[queue.SimpleQueue] = [queue.SimpleQueue() for _ in readers]

    def receive(incoming, count: int, received: queue.SimpleQueue) -> None:
        try:
            for _job in range(count):
                received.put(incoming.recv())
        except (EOFError, OSError) as exc:  # the reading process died, or the importer stopped early
            received.put(("error", exc))

    receivers = [
        threading.Thread(target=receive, args=(incoming, len(jobs[k::READERS]), queues[k]), daemon=True)
        for k, incoming in enumerate(pipes)
    ]
    for receiver in receivers:
        receiver.start()
    try:
        for n, path in enumerate(files):
            kind, value = queues[n % READERS].get()
            if kind == "error":
                raise value
            yield path, value
    finally:  # also when the importer stops early: the readers must not outlive it
        for reader in readers:
            reader.terminate()
            reader.join()
        for incoming in pipes:
            incoming.close()
        for receiver in receivers:
            receiver.join()


STATISTICS_AFTER = 200  # plans imported: enough to change what the query planner should choose


def refresh_statistics() -> None:
    """After many new rows, SQLite's query planner needs statistics to choose well, and SQLite gathers
    them only when asked (PostgreSQL's autovacuum does it by itself). Without them it took the plans'
    status index as selective: a page's twenty plans looked up by id were found by walking every published
    plan (3 ms at 20,000 plans). `analysis_limit` bounds the work to a sample of each index."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA analysis_limit=1000")
            cursor.execute("ANALYZE")


def import_files(
    paths: list[str], *, status: str = "published", dry_run: bool = False, err: TextIO = sys.stderr
) -> Result:
    """Import the files of `paths`. A dry run does exactly what a real run does, in one transaction that
    it rolls back, so that it reports what the real run would (a file differing in blank lines only is
    unchanged, a re-imported file updated only if the merge changes something) and writes nothing."""
    if not dry_run:
        return _import(paths, status, err)
    with transaction.atomic():
        result = _import(paths, status, err)
        transaction.set_rollback(True)
    return result


def _import(paths: list[str], status: str, err: TextIO) -> Result:
    result = Result()
    started = time.perf_counter()
    files = collect(paths)
    progress = Progress(len(files), err)
    loader = Loader(status=status)
    seen: dict[str, Path] = {}

    pending: list[tuple[Pending, Path]] = []

    def fail(path: Path, line: int, message: str) -> None:
        result.failed += 1
        progress.say(f"{path}:{line}: {message}")

    def saved(ids: list[int]) -> None:
        loader.commit()
        result.plan_ids.extend(ids)

    def write_chunk(chunk: list[tuple[Pending, Path]]) -> None:
        with transaction.atomic():
            ids = loader.create_many([item for item, _ in chunk])
        saved(ids)
        result.imported += len(ids)

    def create(chunk: list[tuple[Pending, Path]]) -> None:
        """New plans in chunks: one transaction per chunk is all-or-nothing for each of its files, and
        if it fails the files are retried one by one so that only the broken one is left out."""
        try:
            write_chunk(chunk)
        except (DatabaseError, ValueError, TypeError):
            loader.forget()
            for one in chunk:
                try:
                    write_chunk([one])
                except (DatabaseError, ValueError, TypeError) as exc:
                    loader.forget()
                    fail(one[1], 1, _("could not be saved: %(error)s") % {"error": exc})
        chunk.clear()

    def update(item: Pending, path: Path) -> None:
        try:
            with transaction.atomic():
                changed = loader.update(item)
        except (DatabaseError, ValueError, TypeError) as exc:
            loader.forget()
            fail(path, 1, _("could not be saved: %(error)s") % {"error": exc})
            return
        if changed:  # collected by search.batch(), rebuilt once at the end
            search.update_index([loader.known[path.name][0]])
        saved([loader.known[path.name][0]] if changed else [])
        if changed:
            result.updated += 1
        else:
            result.unchanged += 1

    # A large import sets the search's RUM index aside and builds it again after (plans/search.py).
    with search.bulk_writes(len(files)), search.batch():
        for path, found in prepared(files, loader.known, loader.index_ahead):
            progress.step()
            if path.name in seen:
                fail(
                    path,
                    1,
                    _("same file name as %(other)s: a plan is identified by its file name")
                    % {"other": seen[path.name]},
                )
                continue
            seen[path.name] = path
            if found[0] == "unchanged":
                result.unchanged += 1
                continue
            if found[0] == "failed":
                fail(path, found[1], found[2])
                continue
            _kind, item, warnings = found
            for warning in warnings:
                message = _(warning.template) % warning.params
                progress.say(
                    _("%(where)s: warning: %(message)s")
                    % {"where": f"{path}:{warning.line}", "message": message}
                )
            if path.name in loader.known:
                update(item, path)
            else:
                pending.append((item, path))
                if len(pending) >= CHUNK:
                    create(pending)
        if pending:
            create(pending)
    progress.clear()
    if result.imported >= STATISTICS_AFTER:
        refresh_statistics()
    if result.imported or result.updated:
        cache.bump()  # cached public pages carry the content version: they must not show the old plans
    result.seconds = time.perf_counter() - started
    return result
