"""The batching helper: iterate over an entity type (or any sequence) from a cursor kept in the
task's namespace, stopping when a share of the instruction budget is used, so one execution does
as much as fits and the next one resumes where it stopped.

    from codexvm.batch import batch          # also available as `batch` inside task codexes

    for user in batch(User, share=0.8):
        ...                                 # process one user

Progress (done / total, completed cycles) is stored with the cursor and shown in the task's
state. When the source is exhausted the cursor goes back to the start and `cycles` grows: the
next execution begins a new pass. Everything the loop wrote and the cursor commit together, so
an execution that fails mid-batch is redone from the same position: no item is processed twice.
"""

import _db
from kybra_simple_db import Entity, Integer, String, TimestampedMixin

from codexvm import budget

_classes = {}


def current_task():
    """The name of the task the running codex belongs to (None outside a task)."""
    import _ic

    return _ic.task_name()


def progress_class(task_name):
    """`{"cls": BatchProgress class, "progress": the 'default' record or None}` of a task."""
    cls = _classes.get(task_name)
    if cls is None:
        class BatchProgress(Entity, TimestampedMixin):
            __namespace__ = _db.task_namespace(task_name)
            __alias__ = "key"
            key = String()
            cursor = Integer(default=0)
            done = Integer(default=0)
            total = Integer(default=0)
            cycles = Integer(default=0)

        cls = _classes[task_name] = BatchProgress
    return {"cls": cls, "progress": cls["default"]}


def progress(done, total, key="default"):
    """Reports progress (done / total) in the task's state, for codexes that batch by hand."""
    task = current_task()
    if task is None:
        return
    cls = progress_class(task)["cls"]
    p = cls[key] or cls(key=key, cursor=0, done=0, total=0, cycles=0)
    if total and done >= total:
        p.cycles = p.cycles + 1  # a full pass: the next one starts from 0
        done = 0
    if p.done != done:
        p.done = done
    if p.total != total:
        p.total = total


class batch:
    """Iterates `source` from the persisted cursor until the budget share is used.

    `source`: an Entity class (its entities in id order) or a sequence. `share`: stop once this
    share of the execution's budget is used (0 < share <= 1). `key`: names the cursor, for
    several batched loops in one task. `limit`: also stop after this many items."""

    def __init__(self, source, share=0.8, key="default", limit=None):
        if not 0 < share <= 1:
            raise ValueError("share must be in (0, 1]")
        task = current_task()
        if task is None:
            raise RuntimeError("batch() keeps its cursor in a task's namespace: run the codex as a task")
        self.source, self.share, self.limit = source, share, limit
        cls = progress_class(task)["cls"]
        self.state = cls[key] or cls(key=key, cursor=0, done=0, total=0, cycles=0)
        self.processed = 0
        self.finished_cycle = False

    def _total(self):
        if isinstance(self.source, type) and issubclass(self.source, Entity):
            return self.source.count()
        return len(self.source)

    def _items(self, start):
        """`(position, item)` pairs from `start` (entity ids are positions + 1)."""
        src = self.source
        if isinstance(src, type) and issubclass(src, Entity):
            top = src.max_id()
            i = start
            while i < top:
                item = src.load(str(i + 1))
                if item is not None:
                    yield i, item
                i += 1
                if i >= top:
                    top = src.max_id()
        else:
            for i in range(start, len(src)):
                yield i, src[i]

    def __iter__(self):
        st = self.state
        total = self._total()
        last = None
        try:
            for pos, item in self._items(st.cursor):
                if last is not None and (budget.used_share() >= self.share or
                                         (self.limit is not None and self.processed >= self.limit)):
                    return
                last = pos
                self.processed += 1
                yield item
            self.finished_cycle = True
        finally:
            # One write of the cursor per execution (not per item); it commits with the items'
            # own writes, or is rolled back with them.
            if self.finished_cycle:
                st.cursor = 0
                st.cycles = st.cycles + 1
                st.done = total
            elif last is not None:
                st.cursor = last + 1
                st.done = min(last + 1, total)
            if st.total != total:
                st.total = total

    @property
    def done(self):
        return self.state.done

    @property
    def total(self):
        return self.state.total
