package org.jqat.datasets.download;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.jqat.datasets.DataFiles;
import org.jqat.datasets.DatasetException;

/**
 * A small reader for (gzipped) ustar / GNU tar archives, enough for the data sets' tarballs:
 * regular files and directories, GNU long names and pax {@code path} records. Entry names with a
 * {@code ..} component or an absolute path are rejected (the classic "tar slip"); links and
 * other special entries are skipped. Each file is written to a temporary name and renamed, so a
 * failed extraction leaves no half-written file under its real name.
 */
public final class TarArchive {
    private static final int BLOCK = 512;

    private TarArchive() {}

    /** One archive member as listed. */
    public record Entry(String name, long size, char type) {
        public boolean isFile() {
            return type == '0' || type == '\0' || type == '7';
        }
    }

    /** Callback receiving each entry with its data stream (only valid during the call). */
    @FunctionalInterface
    public interface Visitor {
        void visit(Entry entry, InputStream data) throws IOException;
    }

    /** Names of all entries of {@code archive} (plain or gzipped tar). */
    public static List<Entry> list(Path archive) {
        List<Entry> out = new ArrayList<>();
        read(archive, (e, in) -> out.add(e));
        return out;
    }

    /** Extracts {@code archive} (plain or gzipped tar) under {@code dest}; returns the files written. */
    public static List<Path> extract(Path archive, Path dest) {
        Path root = dest.toAbsolutePath().normalize();
        // A first pass checks every name, so a refused entry leaves nothing extracted.
        read(archive, (e, in) -> {
            if (e.type() == '5' || e.isFile()) {
                noLinkOnTheWay(archive, root, safePath(archive, root, e.name()));
            }
        });
        List<Path> written = new ArrayList<>();
        read(archive, (e, in) -> {
            Path p = safePath(archive, root, e.name());
            noLinkOnTheWay(archive, root, p);
            if (e.type() == '5') {
                Files.createDirectories(p);
            } else if (e.isFile()) {
                Files.createDirectories(p.getParent());
                Path tmp = Files.createTempFile(p.getParent(), "." + p.getFileName() + ".", ".part");
                try {
                    try (OutputStream out = Files.newOutputStream(tmp)) {
                        in.transferTo(out);
                    }
                    Files.move(tmp, p, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                } finally {
                    Files.deleteIfExists(tmp);
                }
                written.add(p);
            }
        });
        return written;
    }

    /**
     * Refuses a path whose existing parent (below {@code root}) is a symbolic link: writing
     * through it would put the file wherever the link points.
     */
    private static void noLinkOnTheWay(Path archive, Path root, Path p) {
        for (Path q = p.getParent(); q != null && q.startsWith(root) && !q.equals(root); q = q.getParent()) {
            if (Files.isSymbolicLink(q)) {
                throw DatasetException.inFile(archive, "tar entry path " + root.relativize(p) + " goes through the symbolic link "
                        + q + " in the destination; refusing to extract");
            }
        }
        if (Files.isSymbolicLink(p)) {
            throw DatasetException.inFile(archive, "tar entry " + root.relativize(p) + " would replace the symbolic link " + p
                    + " in the destination; refusing to extract");
        }
    }

    /** Resolves an entry name under {@code root}, refusing anything that would escape it. */
    static Path safePath(Path archive, Path root, String name) {
        String n = name.replace('\\', '/');
        if (n.startsWith("/") || n.matches("^[A-Za-z]:.*")) {
            throw DatasetException.inFile(archive, "tar entry '" + name + "' has an absolute path; refusing to extract");
        }
        for (String part : n.split("/")) {
            if (part.equals("..")) {
                throw DatasetException.inFile(archive, "tar entry '" + name + "' escapes the target directory (..); refusing to extract");
            }
        }
        Path p = root.resolve(n).normalize();
        if (!p.startsWith(root)) {
            throw DatasetException.inFile(archive, "tar entry '" + name + "' escapes the target directory; refusing to extract");
        }
        return p;
    }

    /** Walks every entry of {@code archive}, passing each member's data to {@code visitor}. */
    public static void read(Path archive, Visitor visitor) {
        try (InputStream in = DataFiles.open(archive)) {
            byte[] header = new byte[BLOCK];
            String longName = null;
            long index = 0;
            while (true) {
                if (!readBlock(in, header)) {
                    return; // end of stream without the two zero blocks: tolerated, as GNU tar does
                }
                if (isZero(header)) {
                    return;
                }
                if (!checksumOk(header)) {
                    throw DatasetException.inRecord(archive, index, "tar header checksum mismatch (corrupt or not a tar file)");
                }
                String name = string(header, 0, 100);
                if (string(header, 257, 5).equals("ustar")) {
                    String prefix = string(header, 345, 155);
                    if (!prefix.isEmpty()) {
                        name = prefix + "/" + name;
                    }
                }
                long size = octal(archive, index, header, 124, 12);
                char type = (char) header[156];
                if (type == 'L' || type == 'x') {
                    byte[] body = readBody(in, size, archive, index);
                    if (type == 'L') {
                        longName = new String(body, StandardCharsets.UTF_8).replace("\0", "");
                    } else {
                        String path = paxPath(body);
                        if (path != null) {
                            longName = path;
                        }
                    }
                    index++;
                    continue;
                }
                if (longName != null) {
                    name = longName;
                    longName = null;
                }
                Bounded data = new Bounded(in, size);
                visitor.visit(new Entry(name, size, type), data);
                data.skipRest(archive, index);
                skipPadding(in, size, archive, index);
                index++;
            }
        } catch (IOException e) {
            throw new DatasetException(archive + ": cannot read tar archive (" + e + ")", e);
        }
    }

    private static String paxPath(byte[] body) {
        String path = null;
        int pos = 0;
        // Records are "<len> key=value\n" where len counts the whole record in bytes.
        while (pos < body.length) {
            int sp = indexOf(body, (byte) ' ', pos);
            if (sp < 0) {
                break;
            }
            int len = Integer.parseInt(new String(body, pos, sp - pos, StandardCharsets.US_ASCII).trim());
            if (len <= 0 || pos + len > body.length) {
                break;
            }
            String rec = new String(body, sp + 1, len - (sp + 1 - pos) - 1, StandardCharsets.UTF_8);
            if (rec.startsWith("path=")) {
                path = rec.substring(5);
            }
            pos += len;
        }
        return path;
    }

    private static int indexOf(byte[] b, byte v, int from) {
        for (int i = from; i < b.length; i++) {
            if (b[i] == v) {
                return i;
            }
        }
        return -1;
    }

    private static byte[] readBody(InputStream in, long size, Path archive, long index) throws IOException {
        if (size > (1 << 20)) {
            throw DatasetException.inRecord(archive, index, "tar extended header too large: " + size);
        }
        byte[] b = in.readNBytes((int) size);
        if (b.length != size) {
            throw DatasetException.inRecord(archive, index, "truncated tar archive");
        }
        skipPadding(in, size, archive, index);
        return b;
    }

    private static void skipPadding(InputStream in, long size, Path archive, long index) throws IOException {
        long pad = (BLOCK - size % BLOCK) % BLOCK;
        try {
            in.skipNBytes(pad);
        } catch (EOFException e) {
            throw DatasetException.inRecord(archive, index, "truncated tar archive");
        }
    }

    private static boolean readBlock(InputStream in, byte[] block) throws IOException {
        int n = in.readNBytes(block, 0, BLOCK);
        if (n == 0) {
            return false;
        }
        if (n != BLOCK) {
            throw new EOFException("truncated tar header (" + n + " of 512 bytes)");
        }
        return true;
    }

    private static boolean isZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean checksumOk(byte[] h) {
        long stored;
        try {
            String s = string(h, 148, 8).trim();
            stored = s.isEmpty() ? -1 : Long.parseLong(s, 8);
        } catch (NumberFormatException e) {
            return false;
        }
        long sum = 0;
        for (int i = 0; i < BLOCK; i++) {
            sum += (i >= 148 && i < 156) ? ' ' : (h[i] & 0xFF);
        }
        return sum == stored;
    }

    private static long octal(Path archive, long index, byte[] h, int off, int len) {
        if ((h[off] & 0x80) != 0) {
            // GNU base-256 for sizes of 8 GiB and more.
            long v = h[off] & 0x7F;
            for (int i = 1; i < len; i++) {
                v = (v << 8) | (h[off + i] & 0xFF);
            }
            return v;
        }
        String s = string(h, off, len).trim();
        try {
            return s.isEmpty() ? 0 : Long.parseLong(s, 8);
        } catch (NumberFormatException e) {
            throw DatasetException.inRecord(archive, index, "bad tar size field '" + s + "'");
        }
    }

    private static String string(byte[] h, int off, int len) {
        int end = off;
        while (end < off + len && h[end] != 0) {
            end++;
        }
        return new String(h, off, end - off, StandardCharsets.UTF_8);
    }

    /** A view of the next {@code size} bytes of the archive stream. */
    private static final class Bounded extends InputStream {
        private final InputStream in;
        private long left;

        Bounded(InputStream in, long size) {
            this.in = in;
            this.left = size;
        }

        @Override
        public int read() throws IOException {
            if (left <= 0) {
                return -1;
            }
            int b = in.read();
            if (b < 0) {
                throw new EOFException("truncated tar member");
            }
            left--;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n < 0) {
                throw new EOFException("truncated tar member");
            }
            left -= n;
            return n;
        }

        @Override
        public void close() {
            // the archive stream stays open for the next member
        }

        void skipRest(Path archive, long index) throws IOException {
            if (left > 0) {
                try {
                    in.skipNBytes(left);
                } catch (EOFException e) {
                    throw DatasetException.inRecord(archive, index, "truncated tar archive");
                }
                left = 0;
            }
        }
    }
}
