"""Object bytes on disk, crash-safe. The interface a distributed store would fill."""

from nimbus.blobs.checksums import Checksums
from nimbus.blobs.filesystem import BlobStore, BlobWriter, StoredBlob, UploadAppender

__all__ = ["BlobStore", "BlobWriter", "Checksums", "StoredBlob", "UploadAppender"]
