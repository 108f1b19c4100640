package org.jqat.datasets.download;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.jqat.datasets.DatasetException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Downloads from a local HttpServer on 127.0.0.1; never contacts another host. */
class DownloaderTest {
    static final byte[] BODY = new byte[100_000];

    static {
        for (int i = 0; i < BODY.length; i++) {
            BODY[i] = (byte) (i * 31 + 7);
        }
    }

    @TempDir
    Path dir;

    HttpServer server;
    final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();

    static String md5(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(b));
    }

    /** Starts the server with one route per entry; "/drop" sends part of the body, then cuts the connection. */
    void serve(Map<String, byte[]> files) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            String path = ex.getRequestURI().getPath();
            hits.computeIfAbsent(path, k -> new AtomicInteger()).incrementAndGet();
            byte[] body = files.get(path);
            if (path.startsWith("/stall")) {
                ex.sendResponseHeaders(200, BODY.length);
                OutputStream out = ex.getResponseBody();
                out.write(BODY, 0, 1000);
                out.flush();
                try {
                    Thread.sleep(5000); // never sends the rest in time
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                ex.close();
                return;
            }
            if (body == null) {
                ex.sendResponseHeaders(404, -1);
                ex.close();
                return;
            }
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        });
        server.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "test-http");
            t.setDaemon(true);
            return t;
        }));
        server.start();
    }

    /**
     * A raw socket server that announces the whole body, sends part of it and closes the
     * connection: a real mid-body drop (HttpServer keeps the connection open instead).
     */
    static ServerSocket dropper() throws IOException {
        ServerSocket ss = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> {
            try (Socket s = ss.accept()) {
                s.getInputStream().read(new byte[4096]);
                OutputStream out = s.getOutputStream();
                out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + BODY.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(BODY, 0, 1000);
                out.flush();
            } catch (IOException ignored) {
                // the test checks the client side
            }
        }, "test-dropper");
        t.setDaemon(true);
        t.start();
        return ss;
    }

    String base() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/";
    }

    @BeforeEach
    void start() throws IOException {
        serve(Map.of("/good.bin", BODY, "/bad.bin", "not the published bytes".getBytes()));
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private List<String> leftovers() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }

    @Test
    void downloadsVerifiesAndDoesNotRepeat() throws Exception {
        Downloader d = new Downloader();
        Path target = dir.resolve("sub").resolve("good.bin");
        assertTrue(d.fetch(URI.create(base() + "good.bin"), target, md5(BODY)));
        assertArrayEquals(BODY, Files.readAllBytes(target));
        assertFalse(d.fetch(URI.create(base() + "good.bin"), target, md5(BODY).toUpperCase()));
        assertEquals(1, hits.get("/good.bin").get(), "a file with the right checksum is not fetched again");
        assertEquals(List.of("good.bin"), Files.list(target.getParent()).map(p -> p.getFileName().toString()).toList());
    }

    @Test
    void sha256ChecksumsForModelFiles() throws Exception {
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(BODY));
        Path target = dir.resolve("model.th");
        assertTrue(new Downloader().fetch(URI.create(base() + "good.bin"), target, Checksums.SHA256, sha));
        assertArrayEquals(BODY, Files.readAllBytes(target));
        assertTrue(Checksums.matches(target, Checksums.SHA256, sha));
        DatasetException e = assertThrows(DatasetException.class,
                () -> new Downloader().fetch(URI.create(base() + "bad.bin"), dir.resolve("bad.th"), Checksums.SHA256, sha));
        assertTrue(e.getMessage().contains("checksum mismatch, sha256 ") && e.getMessage().contains("but expected " + sha), e.getMessage());
        assertFalse(Files.exists(dir.resolve("bad.th")));
    }

    @Test
    void corruptExistingFileIsReplaced() throws Exception {
        Path target = dir.resolve("good.bin");
        Files.write(target, new byte[] {1, 2, 3});
        assertTrue(new Downloader().fetch(URI.create(base() + "good.bin"), target, md5(BODY)));
        assertArrayEquals(BODY, Files.readAllBytes(target));
    }

    @Test
    void checksumMismatchLeavesNothing() throws Exception {
        Path target = dir.resolve("bad.bin");
        DatasetException e = assertThrows(DatasetException.class,
                () -> new Downloader().fetch(URI.create(base() + "bad.bin"), target, md5(BODY)));
        assertTrue(e.getMessage().contains("checksum mismatch"), e.getMessage());
        assertEquals(List.of(), leftovers());
    }

    @Test
    void droppedConnectionLeavesNothing() throws Exception {
        Path target = dir.resolve("drop.bin");
        try (ServerSocket ss = dropper()) {
            URI uri = URI.create("http://127.0.0.1:" + ss.getLocalPort() + "/drop.bin");
            DatasetException e = assertThrows(DatasetException.class, () -> new Downloader().fetch(uri, target, md5(BODY)));
            assertTrue(e.getMessage().contains("drop.bin"), e.getMessage());
        }
        assertEquals(List.of(), leftovers());
    }

    @Test
    void stalledBodyIsAbortedAndLeavesNothing() throws Exception {
        Path target = dir.resolve("stall.bin");
        Downloader d = new Downloader(HttpClient.newHttpClient(), Duration.ofSeconds(10), Duration.ofMillis(500));
        long t0 = System.nanoTime();
        DatasetException e = assertThrows(DatasetException.class, () -> d.fetch(URI.create(base() + "stall.bin"), target, md5(BODY)));
        assertTrue(System.nanoTime() - t0 < 4_000_000_000L, "aborted by the idle timeout, not by the server");
        assertTrue(e.getMessage().contains("no data"), e.getMessage());
        assertEquals(List.of(), leftovers());
    }

    @Test
    void httpErrorLeavesNothing() throws Exception {
        Path target = dir.resolve("missing.bin");
        DatasetException e = assertThrows(DatasetException.class,
                () -> new Downloader().fetch(URI.create(base() + "missing.bin"), target, md5(BODY)));
        assertTrue(e.getMessage().contains("404"), e.getMessage());
        assertEquals(List.of(), leftovers());
    }
}
