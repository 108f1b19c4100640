package org.jqat.nn.checkpoint;

import java.lang.foreign.MemorySegment;
import org.jqat.core.io.DType;

/**
 * A PyTorch storage as read from a checkpoint: a flat run of {@code numel} little-endian
 * elements of one dtype. Tensors that share a storage in the file share this object, as they
 * do after {@code torch.load}.
 *
 * @param key  the storage's key in the file (the entry name under {@code data/} in a zip archive)
 * @param data exactly {@code numel * dtype.byteSize()} bytes
 */
public record TorchStorage(String key, DType dtype, long numel, MemorySegment data) {
}
