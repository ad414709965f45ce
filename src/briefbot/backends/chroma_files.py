"""What an embedded Chroma store keeps on disk, read without Chroma: for ``briefbot doctor``.

Each collection has a vector (HNSW) segment, a folder named by its UUID beside
``chroma.sqlite3``: ``header.bin`` (the graph's sizes), ``data_level0.bin`` (every vector with
its neighbours), ``length.bin`` (the vectors' norms), ``link_lists.bin`` (the upper layers) and
``index_metadata.pickle`` (which record id each vector belongs to). Chroma writes them once
``sync_threshold`` vectors have arrived; until then it rebuilds the graph from its write-ahead
log and ignores the folder. Records (texts and metadata) live in ``chroma.sqlite3``, which
``salvage_records`` reads when a damaged vector segment keeps Chroma from reading them.
"""

from __future__ import annotations

import io
import logging
import pickle
import sqlite3
import struct
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from briefbot.errors import DamagedStoreError

log = logging.getLogger(__name__)

SQLITE_FILE = "chroma.sqlite3"
HEADER, DATA, NORMS, LINKS, ID_MAP = (
    "header.bin",
    "data_level0.bin",
    "length.bin",
    "link_lists.bin",
    "index_metadata.pickle",
)
DOCUMENT_KEY = "chroma:document"

# hnswlib's header as Chroma writes it (little-endian x86-64/arm64): version, level-0 offset,
# capacity, element count, bytes per element, label offset, vector offset, top level, entry
# point, max neighbours above level 0, max neighbours at level 0, M, level multiplier,
# ef_construction.
_HEADER = struct.Struct("<i6QiI3QdQ")
_DELETED = 0x10000


@dataclass(frozen=True)
class VectorSegment:
    """Where a collection's HNSW files are, and whether Chroma has written them yet."""

    folder: Path
    persisted: bool


@contextmanager
def _read_only(persist_dir: Path) -> Iterator[sqlite3.Connection]:
    uri = (persist_dir / SQLITE_FILE).resolve().as_uri() + "?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as connection:
        yield connection


def vector_segment(persist_dir: Path, collection_id: str) -> VectorSegment | None:
    """The HNSW folder of a collection (None when ``chroma.sqlite3`` does not say)."""
    try:
        with _read_only(persist_dir) as db:
            row = db.execute(
                "SELECT id FROM segments WHERE collection = ? AND scope = 'VECTOR'",
                (collection_id,),
            ).fetchone()
            if row is None:
                return None
            seq = db.execute(
                "SELECT seq_id FROM max_seq_id WHERE segment_id = ?", (row[0],)
            ).fetchone()
    except sqlite3.Error as exc:
        log.warning("cannot find the vector files in %s: %s", persist_dir / SQLITE_FILE, exc)
        return None
    return VectorSegment(persist_dir / str(row[0]), bool(seq and int(seq[0] or 0) > 0))


@dataclass(frozen=True)
class _Header:
    version: int
    level0_offset: int
    capacity: int
    elements: int
    stride: int
    label_offset: int
    vector_offset: int
    top_level: int
    entry_point: int
    max_m: int
    max_m0: int

    def problem(self) -> str | None:
        if self.version != 1 or self.level0_offset != 0:
            return f"has an unknown layout (version {self.version})"
        if (
            self.capacity < self.elements
            or self.max_m <= 0
            or self.max_m0 < self.max_m
            or self.vector_offset != 4 + 4 * self.max_m0
            or self.label_offset <= self.vector_offset
            or (self.label_offset - self.vector_offset) % 4
            or self.stride != self.label_offset + 8
            or (self.elements and not 0 <= self.entry_point < self.elements)
            or (self.elements and self.top_level < 0)
        ):
            return "holds sizes that do not fit together"
        return None


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def _header(folder: Path) -> tuple[_Header | None, str | None]:
    path = folder / HEADER
    size = _size(path)
    if size is None:
        return None, f"{path} is missing"
    if size == 0:
        return None, f"{path} is empty"
    if size < _HEADER.size:
        return None, f"{path} is cut short ({size} of {_HEADER.size} bytes)"
    with path.open("rb") as handle:
        fields = _HEADER.unpack(handle.read(_HEADER.size))
    header = _Header(*fields[:11])
    problem = header.problem()
    return (None, f"{path} {problem}") if problem else (header, None)


class _NoObjects(pickle.Unpickler):
    """Chroma's id map is plain dicts and numbers; anything that names a class is refused."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refusing {module}.{name}")


def _id_map(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    size = _size(path)
    if size == 0:
        return None, f"{path} is empty"
    try:
        data = _NoObjects(io.BytesIO(path.read_bytes())).load()
    except Exception as exc:  # a garbled pickle fails in many ways; each means the same here
        return None, f"{path} is cut short or garbled ({exc})"
    labels = data.get("label_to_id") if isinstance(data, dict) else None
    ids = data.get("id_to_label") if isinstance(data, dict) else None
    if not isinstance(labels, dict) or not isinstance(ids, dict) or len(labels) != len(ids):
        return None, f"{path} does not map record ids to vectors one to one"
    return data, None


def _level0_problem(path: Path, header: _Header, id_map: dict[str, Any] | None) -> str | None:
    """Every vector's neighbours point inside the index and every live vector has a record."""
    n, stride = header.elements, header.stride
    rows = np.memmap(path, dtype=np.uint8, mode="r", shape=(n * stride,)).reshape(n, stride)
    flags = np.ascontiguousarray(rows[:, :4]).view("<u4")[:, 0]
    degree = flags & 0xFFFF
    if int(degree.max(initial=0)) > header.max_m0:
        return f"{path} is garbled (a vector with more neighbours than the index allows)"
    neighbours = np.ascontiguousarray(rows[:, 4 : header.vector_offset]).view("<u4")
    used = np.arange(header.max_m0)[None, :] < degree[:, None]
    if bool((neighbours[used] >= n).any()):
        return f"{path} is garbled (links to vectors that do not exist)"
    label_bytes = rows[:, header.label_offset : header.label_offset + 8]
    labels = np.ascontiguousarray(label_bytes).view("<u8")[:, 0]
    if len(np.unique(labels)) != n:
        return f"{path} is garbled (two vectors share one label)"
    if id_map is not None:
        live = labels[(flags & _DELETED) == 0]
        known = np.fromiter((int(k) for k in id_map["label_to_id"]), dtype=np.uint64)
        if len(live) != len(known) or not bool(np.isin(live, known).all()):
            return f"{path} and {ID_MAP} do not list the same vectors"
    return None


def _links_problem(path: Path, header: _Header) -> str | None:
    """``link_lists.bin``: per vector, a byte count and that many bytes of upper-layer links."""
    data = path.read_bytes()
    block = 4 + 4 * header.max_m
    position = 0
    for _ in range(header.elements):
        if position + 4 > len(data):
            return f"{path} is cut short ({len(data)} bytes)"
        (size,) = struct.unpack_from("<I", data, position)
        position += 4
        if size % block or size // block > max(header.top_level, 0):
            return f"{path} is garbled (an impossible link list)"
        if position + size > len(data):
            return f"{path} is cut short ({len(data)} bytes)"
        for start in range(position, position + size, block):
            (count,) = struct.unpack_from("<I", data, start)
            links = struct.unpack_from(f"<{min(count, header.max_m)}I", data, start + 4)
            if count > header.max_m or any(link >= header.elements for link in links):
                return f"{path} is garbled (links to vectors that do not exist)"
        position += size
    return None


def check_vector_folder(segment: VectorSegment, *, thorough: bool = True) -> list[str]:
    """What is wrong with a collection's HNSW files, each problem naming its file.

    A folder Chroma has not written yet (nothing persisted, no id map) is not in use: Chroma
    rebuilds that graph from its log, so it is not checked. ``thorough=False`` checks only
    the header and the file sizes (cheap enough before every search); the full check also
    reads every vector's slot and every link.
    """
    folder = segment.folder
    id_map_file = folder / ID_MAP
    if not folder.is_dir():
        return [f"the folder {folder} is missing"] if segment.persisted else []
    if not id_map_file.exists() and not segment.persisted:
        return []
    problems: list[str] = []
    id_map: dict[str, Any] | None = None
    if id_map_file.exists():
        id_map, problem = _id_map(id_map_file)
        if problem:
            problems.append(problem)
    else:
        problems.append(f"{id_map_file} is missing")
    header, problem = _header(folder)
    if header is None:
        return [*problems, problem] if problem else problems
    need = {DATA: header.elements * header.stride, NORMS: header.elements * 4, LINKS: 0}
    for name, least in need.items():
        size = _size(folder / name)
        if size is None:
            problems.append(f"{folder / name} is missing")
        elif size < least:
            state = "empty" if size == 0 else f"cut short ({size} of {least} bytes)"
            problems.append(f"{folder / name} is {state}")
    if problems or header.elements == 0 or not thorough:
        return problems
    for problem in (
        _level0_problem(folder / DATA, header, id_map),
        _links_problem(folder / LINKS, header),
    ):
        if problem:
            problems.append(problem)
    return problems


def _value(string: str | None, integer: int | None, real: float | None, boolean: int | None) -> Any:
    if boolean is not None:
        return bool(boolean)
    if integer is not None:
        return int(integer)
    if real is not None:
        return float(real)
    return string


def salvage_records(persist_dir: Path, collection_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    """Every record of a collection as (id, text, metadata), read from ``chroma.sqlite3``.

    Refuses (``DamagedStoreError``) when writes are still waiting in Chroma's log, which only
    Chroma can apply: a salvage must never miss a record.
    """
    sqlite_file = persist_dir / SQLITE_FILE
    try:
        with _read_only(persist_dir) as db:
            row = db.execute(
                "SELECT id FROM segments WHERE collection = ? AND scope = 'METADATA'",
                (collection_id,),
            ).fetchone()
            if row is None:
                raise DamagedStoreError(f"{sqlite_file} has no records for {collection_id}")
            segment = str(row[0])
            applied = db.execute(
                "SELECT seq_id FROM max_seq_id WHERE segment_id = ?", (segment,)
            ).fetchone()
            waiting = db.execute(
                "SELECT COUNT(*) FROM embeddings_queue WHERE topic LIKE ? AND seq_id > ?",
                (f"%/{collection_id}", int(applied[0]) if applied else 0),
            ).fetchone()[0]
            if waiting:
                raise DamagedStoreError(
                    f"{waiting} recent writes in {sqlite_file} have not been applied, and only "
                    "Chroma can apply them"
                )
            ids = dict(
                db.execute(
                    "SELECT id, embedding_id FROM embeddings WHERE segment_id = ? ORDER BY id",
                    (segment,),
                )
            )
            texts: dict[int, str] = {}
            metas: dict[int, dict[str, Any]] = {key: {} for key in ids}
            scalars = db.execute(
                "SELECT m.id, m.key, m.string_value, m.int_value, m.float_value, m.bool_value "
                "FROM embedding_metadata m JOIN embeddings e ON e.id = m.id "
                "WHERE e.segment_id = ?",
                (segment,),
            )
            for rid, key, *value in scalars:
                if key == DOCUMENT_KEY:
                    texts[rid] = value[0] or ""
                elif not key.startswith("chroma:"):
                    metas[rid][key] = _value(*value)
            arrays = db.execute(
                "SELECT a.id, a.key, a.string_value, a.int_value, a.float_value, a.bool_value "
                "FROM embedding_metadata_array a JOIN embeddings e ON e.id = a.id "
                "WHERE e.segment_id = ? ORDER BY a.rowid",
                (segment,),
            )
            for rid, key, *value in arrays:
                metas[rid].setdefault(key, []).append(_value(*value))
    except sqlite3.Error as exc:
        raise DamagedStoreError(f"cannot read the records in {sqlite_file}: {exc}") from exc
    return [(str(uid), texts.get(rid, ""), metas[rid]) for rid, uid in ids.items()]
