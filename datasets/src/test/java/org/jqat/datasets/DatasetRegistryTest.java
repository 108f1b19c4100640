package org.jqat.datasets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.jqat.datasets.DatasetRegistry.RemoteFile;
import org.jqat.datasets.DatasetRegistry.Source;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The registry end to end against a local server (127.0.0.1 only). */
class DatasetRegistryTest {
    @TempDir
    Path root;

    HttpServer server;
    final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    String serve(Map<String, byte[]> files) throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            String name = ex.getRequestURI().getPath().replaceFirst("^/data/", "");
            hits.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
            byte[] body = files.get(name);
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
        server.start();
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/data/";
    }

    static String md5(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(b));
    }

    @Test
    void officialSourcesCarryPublishedChecksums() {
        assertEquals("c32a1d4ab5d03f1284b67883e8d87530", DatasetRegistry.SOURCES.get("cifar10").archive().md5());
        assertEquals("03b5dce01913d631647c71ecec9e9cb8", DatasetRegistry.SOURCES.get("cifar100").archive().md5());
        assertEquals("f68b3c2dcbeaaa9fbdd348bbdeb94873", DatasetRegistry.SOURCES.get("mnist").files().get(0).md5());
        assertEquals("bb300cfdad3c16e7a12a480ee83cd310", DatasetRegistry.SOURCES.get("fashion-mnist").files().get(3).md5());
        assertEquals(DatasetRegistry.NAMES.size() - 1, DatasetRegistry.SOURCES.size()); // all but imagenet
    }

    @Test
    void downloadsMnistFilesOnceThenReadsThem() throws Exception {
        Map<String, byte[]> files = Map.of(
                "train-images-idx3-ubyte.gz", TestData.gzip(TestData.idxImages(4, 28, 28)),
                "train-labels-idx1-ubyte.gz", TestData.gzip(TestData.idxLabels(1, 2, 3, 4)),
                "t10k-images-idx3-ubyte.gz", TestData.gzip(TestData.idxImages(2, 28, 28)),
                "t10k-labels-idx1-ubyte.gz", TestData.gzip(TestData.idxLabels(5, 6)));
        String base = serve(files);
        List<RemoteFile> remote = new java.util.ArrayList<>();
        for (String n : List.of("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")) {
            remote.add(new RemoteFile(n, md5(files.get(n))));
        }
        Source official = DatasetRegistry.SOURCES.get("mnist");
        DatasetRegistry reg = new DatasetRegistry(root)
                .withSource(new Source("mnist", base, "mnist", null, remote, official.required()));
        Dataset test = reg.open("mnist", false);
        assertEquals(2, test.size());
        assertEquals(6, test.get(1).label());
        assertEquals(4, reg.open("mnist", true).size());
        Dataset again = new DatasetRegistry(root).withSource(new Source("mnist", base, "mnist", null, remote, official.required()))
                .open("mnist", false);
        assertEquals(2, again.size());
        for (String n : files.keySet()) {
            assertEquals(1, hits.get(n).get(), n + " fetched once");
        }
    }

    @Test
    void downloadsAndExtractsCifarTarball() throws Exception {
        org.jqat.datasets.download.TarArchiveTestAccess tars = new org.jqat.datasets.download.TarArchiveTestAccess();
        for (int i = 1; i <= 5; i++) {
            tars.file("cifar-10-batches-bin/data_batch_" + i + ".bin", TestData.cifarRecords(1, new int[][] {{i}, {0}}));
        }
        tars.file("cifar-10-batches-bin/test_batch.bin", TestData.cifarRecords(1, new int[][] {{8}}));
        byte[] tgz = TestData.gzip(tars.bytes());
        String base = serve(Map.of("c10.tar.gz", tgz));
        Source off = DatasetRegistry.SOURCES.get("cifar10");
        Source mirror = new Source("cifar10", base, off.dir(), new RemoteFile("c10.tar.gz", md5(tgz)), List.of(), off.required());
        DatasetRegistry reg = new DatasetRegistry(root).withSource(mirror);
        assertEquals(10, reg.open("cifar10", true).size());
        assertEquals(8, reg.open("cifar10", false).get(0).label());
        // Extracted files present: no second download even from a fresh registry.
        new DatasetRegistry(root).withSource(mirror).open("cifar10", false);
        assertEquals(1, hits.get("c10.tar.gz").get());
        // Extracted files removed but the verified tarball kept: re-extract without downloading.
        Files.delete(root.resolve("cifar-10-batches-bin/test_batch.bin"));
        assertEquals(1, new DatasetRegistry(root).withSource(mirror).open("cifar10", false).size());
        assertEquals(1, hits.get("c10.tar.gz").get());
    }

    @Test
    void missingWithDownloadOffIsClear() {
        DatasetException e = assertThrows(DatasetException.class,
                () -> new DatasetRegistry(root).withDownload(false).open("cifar100", true));
        assertTrue(e.getMessage().contains("cifar-100-binary") && e.getMessage().contains("downloading is off"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new DatasetRegistry(root).open("svhn", true));
        assertTrue(assertThrows(DatasetException.class, () -> new DatasetRegistry(root).open("imagenet", false))
                .getMessage().contains("imagenet"));
    }

    @Test
    void offlineDownloadSaysHowToUseALocalCopy() throws Exception {
        int closedPort;
        try (java.net.ServerSocket ss = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = ss.getLocalPort();
        }
        DatasetException e = assertThrows(DatasetException.class, () -> new DatasetRegistry(root)
                .withBaseUrl("mnist", "http://127.0.0.1:" + closedPort + "/").open("mnist", false));
        assertTrue(e.getMessage().contains("to use a local copy of mnist") && e.getMessage().contains("--data-dir")
                && e.getMessage().contains("$JQAT_DATA") && e.getMessage().contains(root.resolve("mnist").toString()), e.getMessage());
    }

    @Test
    void realSharedCopyNeedsNoDownload() {
        Path shared = TestData.sharedDatasets();
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(shared.resolve("mnist")));
        DatasetRegistry reg = new DatasetRegistry(shared).withDownload(false);
        assertEquals(10000, reg.open("mnist", false).size());
    }
}
