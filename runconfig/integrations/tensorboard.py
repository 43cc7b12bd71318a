"""TensorBoard scalars logged into a run, as ``wandb.init(sync_tensorboard=True)`` does.

Two parts. :func:`patch` teaches the TensorBoard writers to say where they write: each
writer made while patched registers its log directory. :class:`TensorBoardSync` reads the
event files in those directories as they grow and logs their scalars with ``run.log``::

    from runconfig.integrations.tensorboard import TensorBoardSync

    sync = TensorBoardSync(run)      # in init(sync_tensorboard=True), once the run exists
    sync.start()                     # patches (unless patch() was called) and starts polling
    ...                              # SummaryWriter(...).add_scalar("loss", 0.5, step)
    sync.stop()                      # in finish(), while run.log still works

The interface, kept stable for ``init()`` and ``finish()``:

- ``patch(root_logdir="", save=True, tensorboard_x=None, pytorch=None) -> None`` and
  ``unpatch() -> None``: wandb's ``wandb.tensorboard.patch`` / ``unpatch``. A second
  ``patch()`` without ``unpatch()`` raises :class:`~runconfig.errors.UsageError`; a missing
  ``tensorboard`` package raises ``ImportError`` naming the extra.
- ``TensorBoardSync(run, root_logdir="", *, interval=1.0)`` with ``start()``, ``poll()``
  and ``stop()``. It calls ``run.log(row)`` and nothing else on the run, always without
  ``step=``, from its own thread and from ``stop()``. One sync at a time: ``start()``
  while another sync is running raises :class:`~runconfig.errors.UsageError`.

Which writers. The ``EventFileWriter`` class used by ``torch.utils.tensorboard`` and by
``tensorboard.summary.Writer`` (``tensorboard.summary.writer.event_file_writer``), the one
of ``tensorboardX``, and the one behind TF1's ``tf.compat.v1.summary.FileWriter`` get an
``__init__`` that registers the directory; TF2's ``tf.summary.create_file_writer`` is seen
through ``gen_summary_ops.create_summary_file_writer`` (not patched when ``pytorch`` or
``tensorboard_x`` is true, as in wandb). Classes are patched in place, so a module imported
before ``patch()`` is covered, and so is every name the class was imported under; a module
imported later is patched as soon as it has run (a finder on ``sys.meta_path`` wraps its
loader), so ``patch()`` imports neither torch nor TensorFlow. Writers made *before*
``patch()``, still open and not seen by an earlier sync, are adopted: their directory and
their own file are read from the start.

Which files. Every ``*tfevents*`` file directly in a registered directory, except those
already there when the directory was registered (an older run's events in a reused
logdir); files that appear later are read too. Each file is read from a byte offset kept
for it, whole records only (a record still being written waits for the next poll), with
its length checksum checked.

What becomes a row. Scalars only: ``simple_value`` summaries (torch's ``add_scalar``,
TF1, tensorboardX) and one-element tensors of the ``scalars`` plugin (TF2, torch's
``new_style=True``, ``tensorboard.summary.Writer``), as Python floats. Consecutive scalars
of one file with the same step make one row ``{key: value, ..., "global_step": step}``; a
row ends when the step changes or a tag comes again, and is logged at the next poll, the
last one of each file at ``stop()``: a step whose events straddle one of the writer's
flushes stays one row, and a file's latest step shows up once a later one is written.
Rows of one file keep their order; each is a new history row of the run.

Keys. The tag, prefixed with the directory's path relative to the root: ``root_logdir``
(of the sync, else of ``patch()``) when the directory is inside it, else the common parent
of all registered directories once there are two or more (``runs/train`` and
``runs/val`` give ``train/loss`` and ``val/loss``; ``add_scalars("pair", ...)`` writes to
sub-directories ``pair_x``... of the writer's, giving ``pair_x/pair``). With one directory
there is no prefix, and nothing waits to see whether a second one comes: a directory's
prefix is decided when its first row is logged and never changes, so if a second directory
appears after the first one's rows have started, the first keeps its bare keys and the
new one is prefixed relative to the common parent. Give ``root_logdir`` for prefixes that
do not depend on when the writers were made. ``global_step`` is never prefixed.

At ``stop()``: the polling thread is stopped, every writer learnt of is flushed (torch
flushes every 120 s by default, so its last scalars would otherwise still be in memory),
everything left in the files is logged, then the writers are unpatched.

Errors. Nothing here raises into training: a writer's ``__init__`` works as before if
registering fails, and an error while reading or logging (a corrupt file, a refused
``run.log``) is printed as one line on stderr, once per kind (and file), and the rest
goes on.

Limitations: histograms, images, audio, text, PR curves and hparams are skipped (they may
come with media support); ``save`` is accepted for wandb's signature, but the event files
are not copied into the run's folder; TF2 writers are not
flushed at ``stop()`` (call ``writer.flush()`` or ``close()`` before ``finish()``), and a
TF2 writer made inside a ``tf.function`` (graph mode) has a logdir that cannot be read, so
it is reported and skipped; remote logdirs (``gs://``...) are reported and skipped; a
writer made in a child process is not seen.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import importlib
import importlib.util
import math
import os
import struct
import sys
import threading
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Protocol

from runconfig._import_hooks import when_imported
from runconfig.errors import UsageError

__all__ = ["SupportsLog", "TensorBoardSync", "patch", "unpatch"]

# Modules whose ``EventFileWriter`` class learns its logdir. torch imports tensorboard's
# class (the same object): listed anyway, so a torch that brings its own is covered too.
_WRITER_MODULES = (
    "tensorboard.summary.writer.event_file_writer",
    "torch.utils.tensorboard.writer",
    "tensorboardX.writer",
    "tensorflow.python.summary.writer.writer",
)
_TF2_MODULE = "tensorflow.python.ops.gen_summary_ops"
_TF2_FUNCTION = "create_summary_file_writer"

_INSTALL_HINT = "pip install 'runconfig[tensorboard]'"


class SupportsLog(Protocol):
    """What the sync needs of a run: ``log(row)`` appends one history row."""

    def log(self, data: dict[str, Any]) -> object: ...


# -- the registry of log directories --------------------------------------------------------


@dataclass
class _Logdir:
    path: str  # absolute
    ignored: frozenset[str]  # event files already there when the directory became known
    adopted: set[str] = field(default_factory=set)  # files of writers made before patch()


class _Reporter:
    """Prints each kind of problem once, as one line on stderr."""

    def __init__(self) -> None:
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, key: str, message: str) -> None:
        with self._lock:
            if key in self._seen:
                return
            self._seen.add(key)
        line = " ".join(f"runconfig: tensorboard sync: {message}".split())
        with contextlib.suppress(Exception):  # a closed stderr must not stop the sync
            print(line, file=sys.stderr, flush=True)

    def error(self, where: str, exc: BaseException) -> None:
        self(f"{where}\0{type(exc).__name__}", f"{where}: {type(exc).__name__}: {exc}")


class _Session:
    """What one ``patch()`` learnt: the log directories and the writers, in order."""

    def __init__(self, root_logdir: str, save: bool) -> None:
        self.root_logdir = root_logdir
        self.save = save
        self.report = _Reporter()
        self.sync: TensorBoardSync | None = None
        self._lock = threading.Lock()
        self._dirs: dict[str, _Logdir] = {}
        self._writers: weakref.WeakSet[Any] = weakref.WeakSet()

    def learn(
        self,
        logdir: object,
        before: frozenset[str] | None,
        writer: object = None,
        adopt: str | None = None,
    ) -> None:
        path = _local_dir(logdir)
        if before is None:
            before = _event_files(path)
        with self._lock:
            known = self._dirs.get(path)
            if known is None:
                known = self._dirs[path] = _Logdir(path, before)
            if adopt is not None:
                known.adopted.add(os.path.basename(adopt))
            if writer is not None:
                try:
                    self._writers.add(writer)
                    _seen_writers.add(writer)
                except TypeError:  # not weakly referable: it cannot be flushed at stop
                    pass

    def dirs(self) -> list[_Logdir]:
        with self._lock:
            return list(self._dirs.values())

    def writers(self) -> list[Any]:
        with self._lock:
            return list(self._writers)


def _local_dir(logdir: object) -> str:
    if isinstance(logdir, bytes):
        logdir = logdir.decode()
    if not isinstance(logdir, (str, os.PathLike)):
        raise TypeError(f"cannot tell the log directory from {logdir!r}")
    path = os.fspath(logdir)
    if not isinstance(path, str):
        path = path.decode()
    if "://" in path:
        raise ValueError(f"{path} is not a local directory; only local logdirs are synced")
    return os.path.abspath(path)


def _event_files(path: str) -> frozenset[str]:
    """The names of the event files directly in ``path`` (none if it does not exist)."""
    try:
        with os.scandir(path) as entries:
            return frozenset(e.name for e in entries if "tfevents" in e.name and e.is_file())
    except (FileNotFoundError, NotADirectoryError):
        return frozenset()


# -- patching -----------------------------------------------------------------------------

# Held while patching or unpatching; re-entrant because start() calls patch().
_lock = threading.RLock()
_session: _Session | None = None
_undo: list[Callable[[], None]] = []
_wrappers: set[object] = set()  # our stand-ins, so nothing is wrapped twice
_cancel_hooks: list[Callable[[], None]] = []  # the patches of modules not imported yet
# Writers some session has learnt of: never adopted again by a later one (the next run).
_seen_writers: weakref.WeakSet[Any] = weakref.WeakSet()


def patch(
    root_logdir: str = "",
    save: bool = True,
    tensorboard_x: bool | None = None,
    pytorch: bool | None = None,
) -> None:
    """Have TensorBoard writers register their log directories, as wandb's ``patch``.

    ``root_logdir``: keys are prefixed with the logdir's path relative to it. ``save`` is
    accepted for wandb's signature (event files are not copied into the run).
    ``tensorboard_x`` or ``pytorch`` true leaves TF2's writer op alone, as in wandb; all the
    writers installed are patched either way. Raises ``UsageError`` if already patched
    (call :func:`unpatch` first) and ``ImportError`` if ``tensorboard`` is missing.
    """
    if importlib.util.find_spec("tensorboard") is None:
        raise ImportError(f"syncing TensorBoard needs the tensorboard package: {_INSTALL_HINT}")
    global _session
    with _lock:
        if _session is not None:
            raise UsageError(
                "TensorBoard is already patched: call unpatch() first, or use either "
                "patch() or init(sync_tensorboard=True), not both"
            )
        _session = _Session(os.fspath(root_logdir), save)
        names = [*_WRITER_MODULES]
        if not pytorch and not tensorboard_x:
            names.append(_TF2_MODULE)
        later = []
        for name in names:
            module = sys.modules.get(name)
            if module is None:
                later.append(name)
            else:
                _patch_module(name, module, adopt=True)
        for name in later:
            _cancel_hooks.append(when_imported(name, functools.partial(_patch_later, _session)))


def unpatch() -> None:
    """Give the writers back their own code (no-op when not patched)."""
    global _session
    with _lock:
        for cancel in _cancel_hooks:
            cancel()
        _cancel_hooks.clear()
        for undo in reversed(_undo):
            undo()
        _undo.clear()
        _wrappers.clear()
        _session = None


def _patch_module(name: str, module: ModuleType, adopt: bool) -> None:
    if name == _TF2_MODULE:
        _patch_tf2(module)
        return
    cls = getattr(module, "EventFileWriter", None)
    if isinstance(cls, type):
        _patch_class(cls, adopt)


def _patch_class(cls: type, adopt: bool) -> None:
    if cls.__dict__.get("__init__") in _wrappers:
        return
    own = "__init__" in cls.__dict__
    # The __init__ that runs today, own or inherited (read from the MRO, not the instance API).
    original: Callable[..., None] = next(
        vars(k)["__init__"] for k in cls.__mro__ if "__init__" in vars(k)
    )

    @functools.wraps(original)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        logdir = args[0] if args else kwargs.get("logdir")
        before = _before(logdir)
        original(self, *args, **kwargs)
        _learn(logdir, before, writer=self)

    def undo() -> None:
        if cls.__dict__.get("__init__") is __init__:
            if own:
                type.__setattr__(cls, "__init__", original)
            else:
                type.__delattr__(cls, "__init__")

    type.__setattr__(cls, "__init__", __init__)
    _wrappers.add(__init__)
    _undo.append(undo)
    if adopt:
        _adopt_writers(cls)


def _adopt_writers(cls: type) -> None:
    """Register the live writers of ``cls`` made before ``patch()``, and their files."""
    session = _session
    if session is None:
        return
    # gc finds the instances through their class (one pass in C, ~15 ms with torch loaded).
    for obj in gc.get_referrers(cls):
        if type(obj) is not cls or obj in _seen_writers or _is_closed(obj):
            continue
        try:
            get_logdir = getattr(obj, "get_logdir", None)
            logdir = get_logdir() if callable(get_logdir) else getattr(obj, "_logdir", None)
            session.learn(logdir, None, writer=obj, adopt=_writer_file(obj))
        except Exception as e:
            session.report.error("a writer made before patch()", e)


def _is_closed(writer: object) -> bool:
    for holder in (writer, getattr(writer, "_async_writer", None)):
        if getattr(holder, "_closed", False) is True:
            return True
    return False


def _writer_file(writer: object) -> str | None:
    """The event file a writer writes to, when it says (tensorboard, torch, tensorboardX)."""
    for holder in (writer, getattr(writer, "_ev_writer", None)):
        name = getattr(holder, "_file_name", None)
        if isinstance(name, str):
            return name
    file_name = getattr(getattr(writer, "_ev_writer", None), "FileName", None)  # TF1
    if callable(file_name):
        name = file_name()
        if isinstance(name, bytes):
            name = name.decode()
        return name if isinstance(name, str) else None
    return None


def _patch_tf2(module: ModuleType) -> None:
    original = getattr(module, _TF2_FUNCTION, None)
    if original is None or original in _wrappers:
        return

    @functools.wraps(original)
    def create_summary_file_writer(*args: Any, **kwargs: Any) -> Any:
        # The generated op's signature: (writer, logdir, max_queue, flush_millis, ...).
        raw = kwargs["logdir"] if "logdir" in kwargs else args[1] if len(args) > 1 else None
        logdir = _tf_text(raw)
        before = _before(logdir)
        result = original(*args, **kwargs)
        _learn(logdir, before)
        return result

    def undo() -> None:
        if getattr(module, _TF2_FUNCTION, None) is create_summary_file_writer:
            setattr(module, _TF2_FUNCTION, original)

    setattr(module, _TF2_FUNCTION, create_summary_file_writer)
    _wrappers.add(create_summary_file_writer)
    _undo.append(undo)


def _tf_text(value: Any) -> object:
    """A TF2 logdir argument as text: an eager string tensor has it, a graph tensor not."""
    numpy = getattr(value, "numpy", None)
    if callable(numpy):
        try:
            value = numpy()
        except Exception:
            return value
    return value.decode() if isinstance(value, bytes) else value


def _before(logdir: object) -> frozenset[str] | None:
    """The event files in ``logdir`` before a writer makes its own (None if unknown)."""
    try:
        return _event_files(_local_dir(logdir))
    except Exception:
        return None


def _patch_later(session: _Session, module: ModuleType) -> None:
    """Patch a writer module the program imported after :func:`patch`."""
    with _lock:
        if _session is not session:
            return  # unpatched since
        try:
            _patch_module(module.__name__, module, adopt=False)
        except Exception as e:  # the import must succeed whatever happens here
            session.report.error(f"patching {module.__name__}", e)


def _learn(logdir: object, before: frozenset[str] | None, writer: object = None) -> None:
    session = _session
    if session is None:
        return
    try:
        adopt = None
        if writer is not None:
            get_logdir = getattr(writer, "get_logdir", None)
            if logdir is None and callable(get_logdir):  # passed under a name we do not know
                logdir = get_logdir()
            adopt = _writer_file(writer)  # ours anyway; read even if `before` was unknown
        session.learn(logdir, before, writer=writer, adopt=adopt)
    except Exception as e:  # a writer must work as it did without us
        session.report.error("a TensorBoard writer's logdir", e)


# -- reading event files ------------------------------------------------------------------

_HEADER = struct.Struct("<QI")  # record length, masked CRC-32C of the length
_CHUNK = 1 << 20


def _crc32c_table() -> list[int]:
    table = []
    for n in range(256):
        crc = n
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC_TABLE = _crc32c_table()


def _masked_crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _CRC_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    crc ^= 0xFFFFFFFF
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


class _CorruptFile(ValueError):
    pass


@functools.cache
def _protos() -> tuple[Any, Any, dict[int, tuple[str, str]]]:
    """``(Event, DecodeError, {dtype: (struct code, TensorProto field)})``, loaded once.

    Imported from ``tensorboard.compat.proto`` directly: its protos do not import
    TensorFlow, which ``tensorboard.compat.tf`` would."""
    event_pb2 = importlib.import_module("tensorboard.compat.proto.event_pb2")
    types_pb2 = importlib.import_module("tensorboard.compat.proto.types_pb2")
    decode_error = importlib.import_module("google.protobuf.message").DecodeError
    formats = {
        types_pb2.DT_FLOAT: ("f", "float_val"),
        types_pb2.DT_DOUBLE: ("d", "double_val"),
        types_pb2.DT_HALF: ("e", "half_val"),
        types_pb2.DT_BFLOAT16: ("bf16", "half_val"),
        types_pb2.DT_INT8: ("b", "int_val"),
        types_pb2.DT_UINT8: ("B", "int_val"),
        types_pb2.DT_INT16: ("h", "int_val"),
        types_pb2.DT_UINT16: ("H", "int_val"),
        types_pb2.DT_INT32: ("i", "int_val"),
        types_pb2.DT_UINT32: ("I", "uint32_val"),
        types_pb2.DT_INT64: ("q", "int64_val"),
        types_pb2.DT_UINT64: ("Q", "uint64_val"),
        types_pb2.DT_BOOL: ("?", "bool_val"),
    }
    return event_pb2.Event, decode_error, formats


def _tensor_scalar(tensor: Any, formats: dict[int, tuple[str, str]]) -> float | None:
    """The value of a one-element numeric ``TensorProto``, else None."""
    if math.prod(d.size for d in tensor.tensor_shape.dim) != 1:
        return None
    known = formats.get(tensor.dtype)
    if known is None:
        return None
    code, name = known
    content: bytes = tensor.tensor_content
    if content:
        if code == "bf16":  # the high half of a float32
            return float(struct.unpack("<f", b"\0\0" + content[:2])[0])
        return float(struct.unpack_from("<" + code, content)[0])
    values = getattr(tensor, name)
    if not values:
        return None
    if code == "e":  # half_val holds the 16 bits of the half
        return float(struct.unpack("<e", struct.pack("<H", values[0] & 0xFFFF))[0])
    if code == "bf16":
        return float(struct.unpack("<f", struct.pack("<I", (values[0] & 0xFFFF) << 16))[0])
    return float(values[0])


@dataclass
class _Row:
    step: int
    values: dict[str, float]


class _EventFile:
    """One event file being tailed: where we are in it, and the row being gathered."""

    def __init__(self, path: str, logdir: str) -> None:
        self.path = path
        self.logdir = logdir
        self.offset = 0
        self.plugins: dict[str, str] = {}  # only a tag's first value carries its metadata
        self.pending: _Row | None = None

    def records(self) -> Iterator[bytes]:
        """The complete records after ``offset``; a record still being written waits."""
        try:
            f = open(self.path, "rb")  # noqa: SIM115 (closed by the with below)
        except FileNotFoundError:  # removed by the user: what was read is kept
            return
        with f:
            f.seek(self.offset)
            buf, pos = b"", 0
            while True:
                end = pos + _HEADER.size
                if end <= len(buf):
                    length, crc = _HEADER.unpack_from(buf, pos)
                    if _masked_crc32c(buf[pos : pos + 8]) != crc:
                        raise _CorruptFile(f"bad record header at byte {self.offset}")
                    end += length + 4
                    if end <= len(buf):
                        # The offset moves first: a record that fails later is not read again.
                        self.offset += end - pos
                        record = buf[pos + _HEADER.size : end - 4]
                        pos = end
                        yield record
                        continue
                more = f.read(max(_CHUNK, end - len(buf)))
                if not more:
                    return
                buf, pos = buf[pos:] + more, 0

    def rows(self, final: bool, report: _Reporter) -> list[_Row]:
        """The rows completed by what was appended since the last call (all, if final)."""
        event_cls, decode_error, formats = _protos()
        done: list[_Row] = []
        row = self.pending
        try:
            for record in self.records():
                try:
                    event = event_cls.FromString(record)
                except decode_error as e:
                    report.error(self.path, e)
                    continue
                if not event.HasField("summary"):
                    continue
                for value in event.summary.value:
                    number = self._scalar(value, formats)
                    if number is None:
                        continue
                    if row is not None and (row.step != event.step or value.tag in row.values):
                        done.append(row)
                        row = None
                    if row is None:
                        row = _Row(int(event.step), {})
                    row.values[value.tag] = number
        except (OSError, _CorruptFile) as e:  # what came before is good: keep it
            report.error(self.path, e)
        if final and row is not None:
            done.append(row)
            row = None
        self.pending = row
        return done

    def _scalar(self, value: Any, formats: dict[int, tuple[str, str]]) -> float | None:
        plugin = value.metadata.plugin_data.plugin_name
        if plugin:
            self.plugins[value.tag] = plugin
        kind = value.WhichOneof("value")
        if kind == "simple_value":
            return float(value.simple_value)
        if kind == "tensor" and self.plugins.get(value.tag) == "scalars":
            return _tensor_scalar(value.tensor, formats)
        return None


def _namespace(logdir: str, known: list[str], root: str) -> str:
    """The key prefix of ``logdir``: its path from the root, or from the dirs' parent."""
    if root and (logdir == root or logdir.startswith(root.rstrip(os.sep) + os.sep)):
        base = root
    elif len(known) >= 2:
        try:
            base = os.path.commonpath(known)
        except ValueError:  # directories on different drives (Windows)
            return os.path.basename(logdir)
    else:
        return ""
    rel = os.path.relpath(logdir, base)
    return "" if rel == os.curdir else rel.replace(os.sep, "/")


# -- the sync -----------------------------------------------------------------------------


class TensorBoardSync:
    """Logs the scalars that TensorBoard writers write into ``run``'s history.

    ``start()`` patches the writers (unless :func:`patch` was called) and polls the event
    files every ``interval`` seconds on a daemon thread; ``stop()`` flushes the writers,
    logs all that is left and unpatches. ``root_logdir``: keys are prefixed with the
    logdir's path relative to it (default: the ``root_logdir`` given to ``patch()``, else
    the common parent of the logdirs once there are two). See the module's docstring::

        sync = TensorBoardSync(run)
        sync.start()
        writer = SummaryWriter("runs/exp")
        writer.add_scalar("loss", 0.5, 0)   # -> {"loss": 0.5, "global_step": 0}
        sync.stop()
    """

    def __init__(self, run: SupportsLog, root_logdir: str = "", *, interval: float = 1.0) -> None:
        if not interval > 0:
            raise ValueError(f"interval must be a positive number of seconds, got {interval!r}")
        self._run = run
        self._root_logdir = os.fspath(root_logdir)
        self._interval = interval
        self._session: _Session | None = None
        self._root = ""
        self._files: dict[str, _EventFile] = {}
        self._namespaces: dict[str, str] = {}
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Patch the writers if needed and start polling (no-op if started already)."""
        with _lock:
            if self._session is not None:
                return
            if _session is None:
                patch(root_logdir=self._root_logdir)
            session = _session
            assert session is not None
            if session.sync is not None:
                raise UsageError(
                    "a TensorBoard sync is already running (for another run): stop it first"
                )
            session.sync = self
            self._session = session
        root = self._root_logdir or session.root_logdir
        self._root = os.path.abspath(root) if root else ""
        self._thread = threading.Thread(
            target=self._poll_forever, name="runconfig-tensorboard", daemon=True
        )
        self._thread.start()

    def poll(self) -> int:
        """Log the rows completed since the last poll, now; returns how many were logged.

        The polling thread calls it every ``interval`` seconds; a row is complete once its
        file shows a later step (``stop()`` logs the last ones)."""
        with self._lock:
            return self._poll(final=False)

    def stop(self) -> None:
        """Flush the writers, log everything written so far, and unpatch (once)."""
        session = self._session
        if session is None or self._stopped.is_set():
            return
        self._stopped.set()
        if self._thread is not None:
            self._thread.join()
        try:
            for writer in session.writers():
                with contextlib.suppress(Exception):  # a closed writer has flushed already
                    writer.flush()
            with self._lock:
                self._poll(final=True)
        finally:
            with _lock:
                if _session is session:
                    unpatch()

    def _poll_forever(self) -> None:
        while not self._stopped.wait(self._interval):
            try:
                self.poll()
            except Exception as e:  # never let the thread die: training goes on
                if self._session is not None:
                    self._session.report.error("polling", e)

    def _poll(self, final: bool) -> int:
        session = self._session
        assert session is not None
        dirs = session.dirs()
        for d in dirs:
            try:
                names = _event_files(d.path)
            except OSError as e:
                session.report.error(d.path, e)
                continue
            for name in sorted(names - (d.ignored - d.adopted)):
                path = os.path.join(d.path, name)
                if path not in self._files:
                    self._files[path] = _EventFile(path, d.path)
        known = [d.path for d in dirs]
        logged = 0
        for f in list(self._files.values()):
            try:
                rows = f.rows(final, session.report)
            except Exception as e:
                session.report.error(f.path, e)
                continue
            for row in rows:
                logged += self._log(f.logdir, row, known, session.report)
        return logged

    def _log(self, logdir: str, row: _Row, known: list[str], report: _Reporter) -> int:
        prefix = self._namespaces.get(logdir)
        if prefix is None:
            prefix = self._namespaces[logdir] = _namespace(logdir, known, self._root)
        data: dict[str, Any] = {
            (f"{prefix}/{tag}" if prefix else tag): value for tag, value in row.values.items()
        }
        data["global_step"] = row.step
        try:
            self._run.log(data)
        except Exception as e:
            report.error("run.log", e)
            return 0
        return 1
