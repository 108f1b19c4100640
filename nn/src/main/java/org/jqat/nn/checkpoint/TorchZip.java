package org.jqat.nn.checkpoint;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * The entries of a zip archive as slices of one memory segment (a mapped file or an array):
 * just enough of the format for {@code torch.save}'s archives, which store every entry
 * uncompressed and 64-byte aligned, plus deflated entries and ZIP64 sizes for archives made by
 * other tools. Every offset and size is checked against the segment, and each entry's CRC-32 is
 * verified when it is read, so a corrupt archive fails with a {@link TorchFormatException}.
 */
final class TorchZip {
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int EOCD = 0x06054b50;
    private static final int ZIP64_EOCD = 0x06064b50;
    private static final int ZIP64_LOCATOR = 0x07064b50;
    private static final int CENTRAL = 0x02014b50;
    private static final int LOCAL = 0x04034b50;
    /** Deflate cannot expand data more than about 1032:1; a larger declared size is a zip bomb. */
    private static final long MAX_DEFLATE_RATIO = 1032;

    /** One entry of the central directory. */
    record Entry(String name, int method, long compressedSize, long size, long localHeader, int crc) {}

    private final String source;
    private final MemorySegment zip;
    private final Map<String, Entry> entries = new LinkedHashMap<>();

    TorchZip(String source, MemorySegment zip) {
        this.source = source;
        this.zip = zip;
        readCentralDirectory();
    }

    Map<String, Entry> entries() {
        return entries;
    }

    /** The entry's bytes (a slice of the archive when stored, a fresh segment when deflated), CRC checked. */
    MemorySegment read(Entry e) {
        long p = e.localHeader();
        need(p, 30, "local header of " + TorchFormatException.quote(e.name()));
        if (zip.get(U32, p) != LOCAL) {
            throw fail("entry " + TorchFormatException.quote(e.name()) + ": bad local header signature");
        }
        long start = p + 30 + u16(p + 26) + u16(p + 28);
        need(start, e.compressedSize(), "data of " + TorchFormatException.quote(e.name()));
        MemorySegment raw = zip.asSlice(start, e.compressedSize());
        MemorySegment data = switch (e.method()) {
            case 0 -> {
                if (e.size() != e.compressedSize()) {
                    throw fail("entry " + TorchFormatException.quote(e.name()) + ": stored with size " + e.size()
                            + " but " + e.compressedSize() + " bytes in the archive");
                }
                yield raw;
            }
            case 8 -> inflate(e, raw);
            default -> throw fail("entry " + TorchFormatException.quote(e.name()) + ": unsupported compression method " + e.method());
        };
        CRC32 crc = new CRC32();
        crc.update(data.asByteBuffer());
        if ((int) crc.getValue() != e.crc()) {
            throw fail("entry " + TorchFormatException.quote(e.name()) + ": CRC-32 mismatch (corrupt archive)");
        }
        return data;
    }

    private MemorySegment inflate(Entry e, MemorySegment raw) {
        if (e.size() > Integer.MAX_VALUE - 8 || e.size() > MAX_DEFLATE_RATIO * e.compressedSize() + 1024) {
            throw fail("entry " + TorchFormatException.quote(e.name()) + ": implausible uncompressed size " + e.size());
        }
        byte[] out = new byte[(int) e.size()];
        Inflater inf = new Inflater(true);
        try {
            inf.setInput(raw.asByteBuffer());
            int n = 0;
            while (n < out.length) {
                int k = inf.inflate(out, n, out.length - n);
                if (k == 0 && (inf.finished() || inf.needsInput() || inf.needsDictionary())) {
                    break;
                }
                n += k;
            }
            if (n != out.length) {
                throw fail("entry " + TorchFormatException.quote(e.name()) + ": inflates to " + n + " bytes, not " + e.size());
            }
        } catch (DataFormatException ex) {
            throw fail("entry " + TorchFormatException.quote(e.name()) + ": bad deflate data (" + ex.getMessage() + ")");
        } finally {
            inf.end();
        }
        return MemorySegment.ofArray(out);
    }

    private void readCentralDirectory() {
        long size = zip.byteSize();
        // The end record is 22 bytes plus a comment of at most 65535.
        long eocd = -1;
        for (long p = size - 22; p >= Math.max(0, size - 22 - 65535); p--) {
            if (zip.get(U32, p) == EOCD && p + 22 + u16(p + 20) == size) {
                eocd = p;
                break;
            }
        }
        if (eocd < 0) {
            throw fail("not a complete zip archive (no end-of-central-directory record)");
        }
        long count = u16(eocd + 10);
        long dirSize = u32(eocd + 12);
        long dirStart = u32(eocd + 16);
        if (count == 0xFFFF || dirSize == 0xFFFFFFFFL || dirStart == 0xFFFFFFFFL) {
            long locator = eocd - 20;
            need(locator, 20, "ZIP64 locator");
            if (zip.get(U32, locator) != ZIP64_LOCATOR) {
                throw fail("ZIP64 sizes without a ZIP64 locator");
            }
            long z64 = zip.get(U64, locator + 8);
            need(z64, 56, "ZIP64 end record");
            if (zip.get(U32, z64) != ZIP64_EOCD) {
                throw fail("bad ZIP64 end record signature");
            }
            count = zip.get(U64, z64 + 32);
            dirSize = zip.get(U64, z64 + 40);
            dirStart = zip.get(U64, z64 + 48);
        }
        need(dirStart, dirSize, "central directory");
        // Each central record takes at least 46 bytes, which bounds the count a hostile file can claim.
        if (count < 0 || count > dirSize / 46) {
            throw fail("central directory claims " + count + " entries in " + dirSize + " bytes");
        }
        long p = dirStart;
        long end = dirStart + dirSize;
        for (long i = 0; i < count; i++) {
            if (p + 46 > end || zip.get(U32, p) != CENTRAL) {
                throw fail("central directory entry " + i + " is malformed");
            }
            int method = u16(p + 10);
            int crc = zip.get(U32, p + 16);
            long csize = u32(p + 20);
            long usize = u32(p + 24);
            int nameLen = u16(p + 28);
            int extraLen = u16(p + 30);
            int commentLen = u16(p + 32);
            long local = u32(p + 42);
            if (p + 46 + nameLen + extraLen + commentLen > end) {
                throw fail("central directory entry " + i + " runs past the directory");
            }
            String name = new String(zip.asSlice(p + 46, nameLen).toArray(ValueLayout.JAVA_BYTE), java.nio.charset.StandardCharsets.UTF_8);
            // ZIP64 extra field (id 1): the 64-bit values of whichever fields were saturated, in this order.
            long x = p + 46 + nameLen;
            long xEnd = x + extraLen;
            while (x + 4 <= xEnd) {
                int id = u16(x);
                int len = u16(x + 2);
                long v = x + 4;
                if (v + len > xEnd) {
                    throw fail("entry " + TorchFormatException.quote(name) + ": extra field runs past its record");
                }
                if (id == 1) {
                    long vEnd = v + len;
                    if (usize == 0xFFFFFFFFL && v + 8 <= vEnd) {
                        usize = zip.get(U64, v);
                        v += 8;
                    }
                    if (csize == 0xFFFFFFFFL && v + 8 <= vEnd) {
                        csize = zip.get(U64, v);
                        v += 8;
                    }
                    if (local == 0xFFFFFFFFL && v + 8 <= vEnd) {
                        local = zip.get(U64, v);
                    }
                }
                x += 4 + len;
            }
            if (csize < 0 || usize < 0 || local < 0) {
                throw fail("entry " + TorchFormatException.quote(name) + ": negative size or offset");
            }
            if (entries.put(name, new Entry(name, method, csize, usize, local, crc)) != null) {
                throw fail("duplicate entry " + TorchFormatException.quote(name));
            }
            p += 46 + nameLen + extraLen + commentLen;
        }
    }

    private int u16(long p) {
        need(p, 2, "header field");
        return Short.toUnsignedInt(zip.get(U16, p));
    }

    private long u32(long p) {
        need(p, 4, "header field");
        return Integer.toUnsignedLong(zip.get(U32, p));
    }

    private void need(long offset, long length, String what) {
        if (offset < 0 || length < 0 || offset > zip.byteSize() - length) {
            throw fail(what + " lies outside the file (offset " + offset + ", " + length + " bytes, file " + zip.byteSize() + " bytes)");
        }
    }

    private TorchFormatException fail(String problem) {
        return new TorchFormatException(source, problem);
    }
}
