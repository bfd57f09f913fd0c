"""Where evidence files live: a local directory (MEETINGS_EVIDENCE_DIR) or S3-compatible object
storage (MEETINGS_EVIDENCE_S3_URL), behind the same four calls.

Keys are relative to the store (`<follow-up id>/<random>.jpg`): moving the files to another
directory, bucket or prefix keeps every row valid."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

CHUNK = 64 * 1024


class MissingObject(LookupError):
    """The row exists but the store has no bytes under its key."""


class StoreUnavailable(RuntimeError):
    """The store did not answer (object storage down, a full or read-only disk)."""


class EvidenceStore(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def read(self, key: str) -> bytes: ...

    def stream(self, key: str) -> Iterator[bytes]:
        """The bytes in chunks; opened before the first chunk, so a missing key raises here."""

    def delete(self, key: str) -> None: ...


class LocalStore:
    """Files under a directory; each written to a temporary name first, then renamed into place."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):  # keys are ours, but never leave the root
            raise MissingObject(key)
        return path

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                os.replace(temporary, path)
            except BaseException:
                os.unlink(temporary)
                raise
        except OSError as exc:
            raise StoreUnavailable(str(exc)) from exc

    def read(self, key: str) -> bytes:
        return b"".join(self.stream(key))

    def stream(self, key: str) -> Iterator[bytes]:
        try:
            handle = open(self._path(key), "rb")  # noqa: SIM115 (closed by the generator)
        except FileNotFoundError as exc:
            raise MissingObject(key) from exc
        except OSError as exc:
            raise StoreUnavailable(str(exc)) from exc
        return _chunks(handle)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def _chunks(handle) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(CHUNK):
            yield chunk


class S3Store:
    """Objects in a bucket under a prefix (boto3; credentials and region from the standard AWS
    variables, the endpoint from MEETINGS_EVIDENCE_S3_ENDPOINT for MinIO, Ceph, R2 and the like)."""

    def __init__(self, url: str, endpoint_url: str | None = None):
        # Imported here: boto3 costs a third of a second at start, for nothing with a local directory.
        import boto3
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError, ClientError

        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError(f"MEETINGS_EVIDENCE_S3_URL must look like s3://bucket/prefix, not {url!r}")
        self.bucket, self.prefix = parts.netloc, parts.path.strip("/")
        # Bounded waits: an upload or a thumbnail must not hang a request for the SDK's minutes.
        config = Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 3, "mode": "standard"})
        # A session of its own: boto3's default session is not safe to share between threads.
        self.client = boto3.session.Session().client("s3", endpoint_url=endpoint_url or None, config=config)
        self._client_error, self._sdk_error = ClientError, BotoCoreError

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def _call(self, method: str, key: str, **kwargs):
        try:
            return getattr(self.client, method)(Bucket=self.bucket, Key=self._key(key), **kwargs)
        except self._client_error as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                raise MissingObject(key) from exc
            raise StoreUnavailable(str(exc)) from exc
        except self._sdk_error as exc:
            raise StoreUnavailable(str(exc)) from exc

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self._call("put_object", key, Body=data, ContentType=content_type)

    def read(self, key: str) -> bytes:
        return b"".join(self.stream(key))

    def stream(self, key: str) -> Iterator[bytes]:
        body = self._call("get_object", key)["Body"]
        return _s3_chunks(body)

    def delete(self, key: str) -> None:
        self._call("delete_object", key)


def _s3_chunks(body) -> Iterator[bytes]:
    with body:
        yield from body.iter_chunks(CHUNK)


@lru_cache(maxsize=4)
def open_store(directory: str, s3_url: str | None, s3_endpoint: str | None) -> EvidenceStore:
    """The store these settings name, made once (a boto3 client takes a while to build)."""
    if s3_url:
        return S3Store(s3_url, s3_endpoint)
    return LocalStore(Path(directory))
