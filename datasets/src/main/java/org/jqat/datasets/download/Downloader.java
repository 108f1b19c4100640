package org.jqat.datasets.download;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import org.jqat.datasets.DatasetException;

/**
 * Fetches a file over HTTP(S) and verifies its published checksum (MD5 for data sets, as
 * torchvision does; SHA-256 for model files). A file that
 * is already there with the right checksum is never fetched again. The body goes to a temporary
 * file in the target's own directory and is renamed into place only after the checksum
 * matches, so an interrupted or corrupt download never leaves a half-written target (the
 * temporary file is deleted on every failure).
 */
public final class Downloader {
    private final HttpClient client;
    private final Duration requestTimeout;
    private final Duration idleTimeout;

    /** Default client: redirects followed, 30 s to connect, 60 s to get headers, 60 s without data aborts. */
    public Downloader() {
        this(HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(Duration.ofSeconds(30)).build(), Duration.ofSeconds(60), Duration.ofSeconds(60));
    }

    /**
     * @param requestTimeout how long to wait for the response headers
     * @param idleTimeout    how long the body may deliver no data before the download is aborted
     *                       (HttpClient has no body timeout of its own, so a stalled server would
     *                       otherwise hang the caller forever)
     */
    public Downloader(HttpClient client, Duration requestTimeout, Duration idleTimeout) {
        this.client = client;
        this.requestTimeout = requestTimeout;
        this.idleTimeout = idleTimeout;
    }

    /**
     * Makes {@code target} hold the file at {@code uri} with MD5 {@code md5}: returns at once if
     * it already does, else downloads, verifies and atomically renames into place.
     *
     * @return {@code true} if a download happened
     * @throws DatasetException on HTTP errors, dropped connections or checksum mismatch
     */
    public boolean fetch(URI uri, Path target, String md5) {
        return fetch(uri, target, Checksums.MD5, md5);
    }

    /**
     * As {@link #fetch(URI, Path, String)}, with the checksum's algorithm named
     * ({@link Checksums#MD5} or {@link Checksums#SHA256}).
     */
    public boolean fetch(URI uri, Path target, String algorithm, String expected) {
        try {
            if (Checksums.matches(target, algorithm, expected)) {
                return false;
            }
            Path dir = target.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".part");
            try {
                download(uri, tmp, algorithm, expected);
                try {
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
                }
                return true;
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new DatasetException("download of " + uri + " to " + target + " failed: " + e, e);
        }
    }

    private void download(URI uri, Path tmp, String algorithm, String expected) throws IOException {
        HttpRequest req = HttpRequest.newBuilder(uri).timeout(requestTimeout).GET().build();
        HttpResponse<InputStream> resp;
        try {
            resp = client.send(req, HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        MessageDigest md = Checksums.digest(algorithm);
        long written = 0;
        InputStream in = resp.body();
        Watchdog dog = new Watchdog(in, idleTimeout.toNanos());
        try (in; OutputStream out = Files.newOutputStream(tmp)) {
            if (resp.statusCode() != 200) {
                throw new DatasetException("download of " + uri + " failed: HTTP " + resp.statusCode());
            }
            dog.start();
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                dog.progress();
                md.update(buf, 0, n);
                out.write(buf, 0, n);
                written += n;
            }
        } catch (IOException e) {
            if (dog.fired()) {
                throw new IOException("no data for " + idleTimeout.toSeconds() + " s after " + written + " bytes", e);
            }
            throw e;
        } finally {
            dog.interrupt();
        }
        if (dog.fired()) {
            throw new IOException("no data for " + idleTimeout.toSeconds() + " s after " + written + " bytes");
        }
        // A dropped connection on a chunked body may look like a clean end; the length check
        // and the checksum catch it either way.
        long declared = resp.headers().firstValueAsLong("Content-Length").orElse(-1);
        if (declared >= 0 && declared != written) {
            throw new DatasetException("download of " + uri + " incomplete: " + written + " of " + declared + " bytes");
        }
        String got = HexFormat.of().formatHex(md.digest());
        if (!got.equalsIgnoreCase(expected)) {
            String name = algorithm.replace("-", "").toLowerCase(java.util.Locale.ROOT);
            throw new DatasetException("download of " + uri + ": checksum mismatch, " + name + " " + got + " but expected " + expected
                    + " (" + written + " bytes); nothing was kept");
        }
    }

    /** Closes the body stream when no data arrived for the idle timeout, which unblocks the reader. */
    private static final class Watchdog extends Thread {
        private final InputStream in;
        private final long idleNanos;
        private volatile long last = System.nanoTime();
        private volatile boolean fired;

        Watchdog(InputStream in, long idleNanos) {
            super("jqat-download-watchdog");
            setDaemon(true);
            this.in = in;
            this.idleNanos = idleNanos;
        }

        void progress() {
            last = System.nanoTime();
        }

        boolean fired() {
            return fired;
        }

        @Override
        public void run() {
            try {
                while (true) {
                    long left = last + idleNanos - System.nanoTime();
                    if (left <= 0) {
                        fired = true;
                        in.close();
                        return;
                    }
                    Thread.sleep(Math.max(1, left / 1_000_000));
                }
            } catch (InterruptedException | IOException e) {
                // download finished (interrupted) or closing failed: nothing more to do
            }
        }
    }
}
