package org.jqat.datasets;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import java.util.zip.ZipException;

/**
 * A gzip reader that accepts only well-formed files: one or more complete members (RFC 1952),
 * each CRC- and length-checked, optionally followed by zero padding. {@link java.util.zip.GZIPInputStream}
 * silently stops at bytes after the last member that do not look like a header; here they are an
 * error, since a data file with garbage appended is not the file its checksum was taken of.
 */
final class StrictGzipInputStream extends InputStream {
    private static final int FHCRC = 2;
    private static final int FEXTRA = 4;
    private static final int FNAME = 8;
    private static final int FCOMMENT = 16;

    private final PushbackInputStream in;
    private final Inflater inflater = new Inflater(true);
    private final CRC32 crc = new CRC32();
    private final byte[] buf;
    private int lastInput;
    private long offset; // compressed bytes consumed, for messages
    private boolean done;

    StrictGzipInputStream(InputStream raw, int bufferSize) throws IOException {
        this.buf = new byte[bufferSize];
        this.in = new PushbackInputStream(raw, bufferSize);
        readHeader();
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (done) {
            return -1;
        }
        if (len == 0) {
            return 0;
        }
        while (true) {
            int n;
            try {
                n = inflater.inflate(b, off, len);
            } catch (DataFormatException e) {
                throw new ZipException("corrupt deflate data near byte " + offset + ": " + e.getMessage());
            }
            if (n > 0) {
                crc.update(b, off, n);
                return n;
            }
            if (inflater.finished()) {
                int remaining = inflater.getRemaining();
                if (remaining > 0) {
                    in.unread(buf, lastInput - remaining, remaining);
                    offset -= remaining;
                }
                readTrailer();
                if (!nextMember()) {
                    done = true;
                    return -1;
                }
                continue;
            }
            if (inflater.needsDictionary()) {
                throw new ZipException("deflate stream asks for a preset dictionary (not gzip)");
            }
            if (inflater.needsInput()) {
                lastInput = in.read(buf, 0, buf.length);
                if (lastInput < 0) {
                    throw new EOFException("gzip stream ends inside compressed data (truncated file)");
                }
                offset += lastInput;
                inflater.setInput(buf, 0, lastInput);
            }
        }
    }

    /** After a member: end of file, zero padding, or the header of another member; anything else is refused. */
    private boolean nextMember() throws IOException {
        int c = in.read();
        if (c < 0) {
            return false;
        }
        if (c == 0) {
            long at = offset;
            for (int z = c; z >= 0; z = in.read()) {
                offset++;
                if (z != 0) {
                    throw new ZipException("unexpected data after the gzip stream at byte " + at + " (zero padding, then non-zero bytes)");
                }
            }
            return false;
        }
        in.unread(c);
        if (c != 0x1f) {
            throw new ZipException("unexpected data after the gzip stream at byte " + offset + " (not another gzip member)");
        }
        inflater.reset();
        crc.reset();
        readHeader();
        return true;
    }

    private void readHeader() throws IOException {
        long at = offset;
        if (u8() != 0x1f || u8() != 0x8b) {
            throw new ZipException("not a gzip member at byte " + at + " (bad magic)");
        }
        if (u8() != 8) {
            throw new ZipException("gzip member at byte " + at + " uses an unknown compression method");
        }
        int flags = u8();
        for (int i = 0; i < 6; i++) {
            u8(); // mtime, xfl, os
        }
        if ((flags & FEXTRA) != 0) {
            int n = u8() | u8() << 8;
            for (int i = 0; i < n; i++) {
                u8();
            }
        }
        if ((flags & FNAME) != 0) {
            while (u8() != 0) {
                // skip the zero-terminated file name
            }
        }
        if ((flags & FCOMMENT) != 0) {
            while (u8() != 0) {
                // skip the zero-terminated comment
            }
        }
        if ((flags & FHCRC) != 0) {
            u8();
            u8();
        }
    }

    private void readTrailer() throws IOException {
        long expectedCrc = u32();
        long expectedSize = u32();
        if (expectedCrc != crc.getValue()) {
            throw new ZipException("gzip CRC mismatch at byte " + offset + " (corrupt data)");
        }
        if (expectedSize != (inflater.getBytesWritten() & 0xFFFFFFFFL)) {
            throw new ZipException("gzip length mismatch at byte " + offset + " (corrupt data)");
        }
    }

    private long u32() throws IOException {
        return (long) u8() | (long) u8() << 8 | (long) u8() << 16 | (long) u8() << 24;
    }

    private int u8() throws IOException {
        int c = in.read();
        if (c < 0) {
            throw new EOFException("gzip stream ends inside a header or trailer (truncated file)");
        }
        offset++;
        return c;
    }

    @Override
    public void close() throws IOException {
        inflater.end();
        in.close();
    }
}
