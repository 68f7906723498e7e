"""Weight files read one tensor, and one chunk of rows, at a time.

:func:`open_weights` reads only the headers of a ``.safetensors``, ``.npy`` or ``.npz``
file; :meth:`TensorSource.read_rows` then reads rows of one tensor with positional reads
(``os.pread``) into a fresh buffer. Nothing is memory-mapped: touched pages of a mapping
count towards the process's resident set, so streaming a 13 GB file through a map would
show up as a 13 GB peak even though the kernel could drop the pages.

Tensors are viewed as rows: ``(prod(shape[:-1]), shape[-1])`` in C order, the last axis
being the one quantization groups run along. Storage dtypes are widened exactly to float32
(bf16, fp16, fp8) or kept (float32, float64).

Exceptions: a Fortran-ordered ``.npy`` array and a compressed ``.npz`` member are read
whole when their rows are needed (memory bounded by that tensor, not by the file).
"""

from __future__ import annotations

import json
import os
import struct
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

from hwgen.errors import HwgenError

SUFFIXES = (".npy", ".npz", ".safetensors")
# safetensors dtype -> numpy storage dtype (BF16 and F8 are read as raw codes).
_ST_DTYPES: dict[str, str] = {
    "F64": "<f8",
    "F32": "<f4",
    "F16": "<f2",
    "BF16": "<u2",
    "F8_E4M3": "u1",
    "F8_E5M2": "u1",
    "I64": "<i8",
    "I32": "<i4",
    "I16": "<i2",
    "I8": "i1",
    "U64": "<u8",
    "U32": "<u4",
    "U16": "<u2",
    "U8": "u1",
    "BOOL": "?",
    "C64": "<c8",
}
FLOAT_DTYPES = ("F64", "F32", "F16", "BF16", "F8_E4M3", "F8_E5M2")
_HEADER_LIMIT = 100 << 20  # safetensors caps its JSON header at 100 MB


@dataclass(frozen=True)
class TensorSource:
    """One tensor of a weight file (or of memory), readable by rows.

    Attributes
    ----------
    name
        Tensor name (a ``.npy`` file's stem).
    dtype
        Storage dtype label: safetensors' (``BF16``, ``F32``, ...) or numpy's ``str``.
    shape
        The tensor's shape.
    """

    name: str
    dtype: str
    shape: tuple[int, ...]
    path: str | None = None
    offset: int = 0
    storage: str = ""  # numpy dtype string of the stored elements
    zip_member: str | None = None  # compressed or Fortran-ordered: read whole
    fortran: bool = False
    array: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def floating(self) -> bool:
        """Whether the elements are real floating-point numbers."""
        if self.dtype in FLOAT_DTYPES:
            return True
        return self.dtype not in _ST_DTYPES and np.dtype(self.dtype).kind == "f"

    @property
    def nrows(self) -> int:
        """Rows of the row view (product of all but the last dimension)."""
        return int(np.prod(self.shape[:-1], dtype=np.int64)) if self.shape else 1

    @property
    def ncols(self) -> int:
        """Length of the last dimension."""
        return int(self.shape[-1]) if self.shape else 1

    @property
    def size(self) -> int:
        """Number of elements."""
        return int(np.prod(self.shape, dtype=np.int64))

    def read_rows(self, start: int, stop: int) -> np.ndarray:
        """Rows ``start..stop`` as a float32 or float64 ``(stop - start, ncols)`` array."""
        n = self.ncols
        if self.array is not None:
            return _widen(self.array.reshape(-1, n)[start:stop], self.dtype)
        if self.zip_member is not None or self.fortran:
            return _widen(_whole(self).reshape(-1, n)[start:stop], self.dtype)
        item = np.dtype(self.storage).itemsize
        count = (stop - start) * n
        buf = bytearray(count * item)
        fd = _fd(self.path)
        got = os.preadv(fd, [buf], self.offset + start * n * item)
        if got != len(buf):
            raise HwgenError(f"tensor {self.name!r}: the file ends inside its data")
        raw = np.frombuffer(buf, dtype=self.storage).reshape(stop - start, n)
        return _widen(raw, self.dtype)

    def read(self) -> np.ndarray:
        """The whole tensor (widened like :meth:`read_rows`) in its own shape."""
        if self.size == 0:
            return np.zeros(self.shape, np.float32 if self.floating else self.storage or "f4")
        if not self.floating:
            if self.array is not None:
                return self.array
            raw = self._raw_whole()
            return raw.reshape(self.shape)
        return self.read_rows(0, self.nrows).reshape(self.shape)

    def _raw_whole(self) -> np.ndarray:
        if self.zip_member is not None or self.fortran:
            return _whole(self)
        item = np.dtype(self.storage).itemsize
        buf = bytearray(self.size * item)
        os.preadv(_fd(self.path), [buf], self.offset)
        return np.frombuffer(buf, dtype=self.storage)


def _widen(raw: np.ndarray, dtype: str) -> np.ndarray:
    """Stored elements as float32/float64, exactly."""
    if dtype == "BF16":
        return (raw.astype(np.uint32) << np.uint32(16)).view(np.float32)
    if dtype in ("F8_E4M3", "F8_E5M2"):
        from hwgen.formats.registry import get_format

        fmt = get_format("fp8_e4m3" if dtype == "F8_E4M3" else "fp8_e5m2")
        return fmt.decode(raw, dtype=np.float32)
    if raw.dtype == np.float16:
        return raw.astype(np.float32)
    if raw.dtype.kind == "f":
        return raw if raw.dtype.isnative else raw.astype(raw.dtype.newbyteorder("="))
    return raw


@cache
def _fd(path: str | None) -> int:
    """One read-only descriptor per file and process (``pread`` needs no shared offset)."""
    assert path is not None
    return os.open(path, os.O_RDONLY)


def _whole(src: TensorSource) -> np.ndarray:
    assert src.path is not None
    if src.zip_member is not None:
        with zipfile.ZipFile(src.path) as z, z.open(src.zip_member) as f:
            arr = np.lib.format.read_array(f, allow_pickle=False)
    else:
        arr = np.load(src.path, allow_pickle=False)
    return np.ascontiguousarray(arr).reshape(-1)


# ---------------------------------------------------------------------- opening files
def open_weights(path: str | Path) -> list[TensorSource]:
    """The tensors of a weight file, from its headers only (no tensor data is read).

    Raises
    ------
    HwgenError
        Missing file, unsupported extension, or a file that cannot be read as its extension
        says (one line naming the file).
    """
    p = Path(path)
    if p.suffix.lower() not in SUFFIXES:
        raise HwgenError(
            f"weights file {str(p)!r} must end in {', '.join(SUFFIXES)}, not {p.suffix!r}"
        )
    if not p.is_file():
        raise HwgenError(f"weights file {str(p)!r} does not exist")
    suffix = p.suffix.lower()
    try:
        if suffix == ".npy":
            with open(p, "rb") as f:
                return [_npy_source(f, str(p), p.stem, 0)]
        if suffix == ".npz":
            return _npz_sources(p)
        return _safetensors_sources(p)
    except HwgenError as exc:
        raise HwgenError(f"cannot read weights file {str(p)!r}: {exc}") from None
    except Exception as exc:  # numpy / zipfile / OS errors: all mean "unreadable"
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise HwgenError(f"cannot read weights file {str(p)!r}: {reason}") from None


def _npy_source(f, path: str, name: str, base: int, member: str | None = None) -> TensorSource:
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
    elif version == (2, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
    else:
        raise HwgenError(f"npy format version {version} is not supported (1.0, 2.0)")
    if dtype.hasobject:
        raise HwgenError(f"tensor {name!r} holds Python objects (pickles are never loaded)")
    return TensorSource(
        name=name,
        dtype=dtype.str,
        shape=tuple(int(s) for s in shape),
        path=path,
        offset=base + f.tell(),
        storage=dtype.str,
        zip_member=member,
        fortran=bool(fortran) and len(shape) > 1,
    )


def _npz_sources(p: Path) -> list[TensorSource]:
    out = []
    with zipfile.ZipFile(p) as z, open(p, "rb") as raw:
        for info in z.infolist():
            name = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
            if info.compress_type == zipfile.ZIP_STORED:
                raw.seek(info.header_offset)
                local = raw.read(30)
                if local[:4] != b"PK\x03\x04":
                    raise HwgenError(f"member {info.filename!r}: bad local header")
                n, m = struct.unpack("<HH", local[26:30])
                start = info.header_offset + 30 + n + m
                raw.seek(start)
                out.append(_npy_source(raw, str(p), name, 0))
            else:
                with z.open(info) as f:
                    src = _npy_source(f, str(p), name, 0, member=info.filename)
                out.append(src)
    return out


def _safetensors_sources(p: Path) -> list[TensorSource]:
    size = p.stat().st_size
    with open(p, "rb") as f:
        head = f.read(8)
        if len(head) < 8:
            raise HwgenError(f"safetensors file too short ({len(head)} bytes)")
        (n,) = struct.unpack("<Q", head)
        if n > min(size - 8, _HEADER_LIMIT):
            raise HwgenError(f"safetensors header size {n} exceeds the file size {size}")
        text = f.read(n)
    try:
        header = json.loads(text)
        entries = [
            (name, info["dtype"], tuple(int(s) for s in info["shape"]), info["data_offsets"])
            for name, info in header.items()
            if name != "__metadata__"
        ]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise HwgenError(f"malformed safetensors header ({type(exc).__name__}: {exc})") from None
    data_start, data_size = 8 + n, size - 8 - n
    out = []
    for name, dtype, shape, offsets in entries:
        if dtype not in _ST_DTYPES:
            allowed = ", ".join(_ST_DTYPES)
            raise HwgenError(f"tensor {name!r}: dtype {dtype} is not supported ({allowed})")
        start, end = (int(v) for v in offsets)
        count = int(np.prod(shape, dtype=np.int64))
        if any(s < 0 for s in shape) or not 0 <= start <= end <= data_size:
            raise HwgenError(f"tensor {name!r}: data offsets {start}..{end} outside the file")
        if end - start != count * np.dtype(_ST_DTYPES[dtype]).itemsize:
            raise HwgenError(
                f"tensor {name!r}: {end - start} bytes of data for shape {list(shape)} {dtype}"
            )
        out.append(
            TensorSource(
                name=name,
                dtype=dtype,
                shape=shape,
                path=str(p),
                offset=data_start + start,
                storage=_ST_DTYPES[dtype],
            )
        )
    return out


def memory_sources(tensors: Mapping[str, np.ndarray]) -> list[TensorSource]:
    """In-memory arrays as sources (for the library API)."""
    out = []
    for name, value in tensors.items():
        arr = np.asarray(value)
        if arr.dtype.kind == "f" and arr.dtype.itemsize > 8:
            raise HwgenError(f"tensor {name!r}: {arr.dtype} is not supported (float64 at most)")
        out.append(
            TensorSource(
                name=str(name),
                dtype=arr.dtype.str,
                shape=tuple(arr.shape),
                storage=arr.dtype.str,
                array=np.ascontiguousarray(arr),
            )
        )
    return out


def load_tensors(path: str | Path) -> dict[str, np.ndarray]:
    """Read every tensor of a ``.npy``, ``.npz`` or ``.safetensors`` file into memory.

    Floating tensors come back widened like :meth:`TensorSource.read_rows` (bf16 and fp8
    exactly to float32); pickled objects are never loaded. For large files use
    :func:`open_weights`, which reads nothing until asked.

    Raises
    ------
    HwgenError
        As :func:`open_weights`, and for data that cannot be read.
    """
    out = {}
    for src in open_weights(path):
        try:
            out[src.name] = src.read()
        except HwgenError as exc:
            raise HwgenError(f"cannot read weights file {str(path)!r}: {exc}") from None
        except Exception as exc:
            reason = " ".join(str(exc).split()) or type(exc).__name__
            raise HwgenError(f"cannot read weights file {str(path)!r}: {reason}") from None
    return out
