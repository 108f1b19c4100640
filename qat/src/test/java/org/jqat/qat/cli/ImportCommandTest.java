package org.jqat.qat.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.jqat.core.io.SafetensorsFile;
import org.jqat.core.testing.SharedData;
import org.jqat.datasets.DataLocation;
import org.jqat.datasets.DatasetException;
import org.jqat.datasets.download.Downloader;
import org.jqat.nn.checkpoint.Checkpoint;
import org.jqat.nn.checkpoint.TorchCheckpoint;
import org.jqat.qat.reproduce.Preset;
import org.jqat.qat.zoo.Pretrained;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** jqat import, pretrained:NAME (found locally, downloaded from a loopback server, or offline), and the preprocessing eval uses. */
class ImportCommandTest {
    private static final String SHA20 = "12fca82f0bebc4135bf1f32f6e3710e61d5108578464b84fd6d7f5c1b04036c8";

    @TempDir
    Path tmp;

    @Test
    void importsTheLegacyResNet20AndEvalUsesTheRecordedPreprocessing() {
        Path th = SharedData.file("models", "resnet20-12fca82f.th");
        Path out = tmp.resolve("sub/resnet20.safetensors");
        String o = Console.stdoutOf(() -> assertEquals(0, Main.run("import", th.toString(), "--model", "resnet20",
                "--mean", "0.485,0.456,0.406", "--std", "0.229,0.224,0.225", "--out", out.toString())));
        assertTrue(o.contains("module.linear.weight -> fc.weight") && o.contains(SHA20), o);
        Checkpoint.Contents c = Checkpoint.read(out);
        assertEquals("0.485,0.456,0.406", c.metadata().get("preprocessing.mean"));
        assertEquals("0.229,0.224,0.225", c.metadata().get("preprocessing.std"));
        assertEquals(SHA20, c.metadata().get("source.sha256"));
        assertEquals("PyTorch legacy", c.metadata().get("source.format"));
        var torch = TorchCheckpoint.stateDict(TorchCheckpoint.read(th), th.toString());
        assertArrayEquals(torch.get("module.linear.weight").toFloatArray(), c.model().get("fc.weight").toFloatArray());
        assertArrayEquals(torch.get("module.layer3.2.bn2.running_var").toFloatArray(), c.model().get("layer3.2.bn2.running_var").toFloatArray());

        Path data = SharedData.datasets();
        String[] stdout = new String[1];
        String err = Console.stderrOf(() -> stdout[0] = Console.stdoutOf(() -> assertEquals(0, Main.run("eval", "--checkpoint",
                out.toString(), "--data-dir", data.toString(), "--no-download", "--limit", "100", "--workers", "1"))));
        assertTrue(err.contains("preprocessing: pixels/255, mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225) (recorded in "
                + out + ")"), err);
        assertTrue(stdout[0].contains("(100 images): top1 " + expectedTop1Of100() + "%"), stdout[0]);
    }

    /** PyTorch's top-1 on the first 100 test images, from the shared logits. */
    private static String expectedTop1Of100() {
        try (SafetensorsFile f = SafetensorsFile.open(SharedData.file("models", "resnet20-akamaster-test100-logits.safetensors"))) {
            float[] logits = f.get("logits").toFloatArray();
            float[] labels = f.get("labels").toFloatArray();
            int correct = 0;
            for (int i = 0; i < 100; i++) {
                int best = 0;
                for (int k = 1; k < 10; k++) {
                    best = logits[i * 10 + k] > logits[i * 10 + best] ? k : best;
                }
                correct += best == (int) labels[i] ? 1 : 0;
            }
            return String.format(java.util.Locale.ROOT, "%.2f", (double) correct);
        }
    }

    @Test
    void aKnownPublishedFileIsRecognisedByItsChecksum() {
        Path th = SharedData.file("models", "resnet20-12fca82f.th");
        Path out = tmp.resolve("known.safetensors");
        String o = Console.stdoutOf(() -> assertEquals(0, Main.run("import", th.toString(), "--model", "resnet20", "--out", out.toString())));
        assertTrue(o.contains("mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225) (pretrained:resnet20-cifar10, recognised by its sha256)"), o);
        assertEquals("0.485,0.456,0.406", Checkpoint.read(out).metadata().get("preprocessing.mean"));
    }

    @Test
    void aModelThatDoesNotFitIsListedNotWritten() {
        Path th = SharedData.file("models", "resnet20-12fca82f.th");
        Path out = tmp.resolve("r32.safetensors");
        String err = Console.stderrOf(() -> assertEquals(2, Main.run("import", th.toString(), "--model", "resnet32", "--out", out.toString())));
        assertTrue(err.contains("does not fit the model") && err.contains("missing keys") && err.contains("layer1.3.conv1.weight"), err);
        assertEquals(1, err.strip().lines().filter(l -> l.startsWith("jqat import:")).count(), err);
        assertFalse(Files.exists(out));
        // A user rename that breaks a key is reported as unexpected.
        err = Console.stderrOf(() -> assertEquals(2, Main.run("import", th.toString(), "--model", "resnet20", "--rename", "conv1=stem",
                "--out", out.toString())));
        assertTrue(err.contains("unexpected keys: [stem.weight]"), err);
        err = Console.stderrOf(() -> assertEquals(2, Main.run("import", th.toString(), "--model", "resnet20", "--rename", "conv1",
                "--out", out.toString())));
        assertTrue(err.contains("expected FROM=TO"), err);
        err = Console.stderrOf(() -> assertEquals(2, Main.run("import", th.toString(), "--model", "resnet20", "--out", th.toString())));
        assertTrue(err.contains("would destroy the input"), err);
        err = Console.stderrOf(() -> assertEquals(2, Main.run("import", th.toString(), "--model", "resnet20", "--out", tmp.toString())));
        assertTrue(err.contains("must name a file"), err);
    }

    @Test
    void theZipFileImportsWithAnExplicitRenameToo() {
        Path pt = SharedData.file("models", "resnet20-12fca82f-zip.pt");
        Path out = tmp.resolve("zip.safetensors");
        Console.stderrOf(() -> Console.stdoutOf(() -> assertEquals(0, Main.run("import", pt.toString(), "--model", "resnet20",
                "--rename", "linear=fc", "--out", out.toString()))));
        Checkpoint.Contents c = Checkpoint.read(out);
        assertEquals("PyTorch zip", c.metadata().get("source.format"));
        assertEquals("0.4914,0.4822,0.4465", c.metadata().get("preprocessing.mean"), "no --mean: the data set's statistics");
    }

    @Test
    void foreignCodeInAPickleIsRefusedInOneLine() throws Exception {
        byte[] pickle = ("\u0080\u0002cposix\nsystem\nX\u0002\u0000\u0000\u0000ls\u0085R.").getBytes(StandardCharsets.ISO_8859_1);
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(zip)) {
            ZipEntry e = new ZipEntry("evil/data.pkl");
            e.setMethod(ZipEntry.STORED);
            e.setSize(pickle.length);
            CRC32 crc = new CRC32();
            crc.update(pickle);
            e.setCrc(crc.getValue());
            z.putNextEntry(e);
            z.write(pickle);
            z.closeEntry();
        }
        Path evil = tmp.resolve("evil.pt");
        Files.write(evil, zip.toByteArray());
        String err = Console.stderrOf(() -> assertEquals(1, Main.run("import", evil.toString(), "--model", "resnet20",
                "--out", tmp.resolve("x.safetensors").toString())));
        assertEquals("jqat import: " + evil + ": pickle opcode at byte 2: refusing global 'posix.system' (weights-only loading "
                + "allows tensors, storages and plain containers only)", err.strip().lines().filter(l -> l.startsWith("jqat")).findFirst().orElse(err));
    }

    /** A data folder holding the official CIFAR-10 and the model files, as a user would arrange it. */
    private Path dataDirWithModels() throws Exception {
        Path root = tmp.resolve("data");
        Files.createDirectories(root.resolve("models"));
        Files.createSymbolicLink(root.resolve("cifar-10-batches-bin"), SharedData.datasets().resolve("cifar-10-batches-bin"));
        Files.createSymbolicLink(root.resolve("models/resnet20-12fca82f.th"), SharedData.file("models", "resnet20-12fca82f.th"));
        return root;
    }

    @Test
    void pretrainedEntryIsFoundUnderTheDataDirAndCarriesImageNetStatistics() throws Exception {
        Path root = dataDirWithModels();
        String[] stdout = new String[1];
        String err = Console.stderrOf(() -> stdout[0] = Console.stdoutOf(() -> assertEquals(0, Main.run("eval", "--checkpoint",
                "pretrained:resnet20-cifar10", "--data-dir", root.toString(), "--no-download", "--limit", "100", "--workers", "1"))));
        assertTrue(err.contains("model: pretrained:resnet20-cifar10") && err.contains(
                "preprocessing: pixels/255, mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225) (pretrained:resnet20-cifar10)"), err);
        assertTrue(stdout[0].contains("top1 " + expectedTop1Of100() + "%"), stdout[0]);
        err = Console.stderrOf(() -> assertEquals(2, Main.run("eval", "--checkpoint", "pretrained:resnet20-cifar10", "--model", "resnet56",
                "--data-dir", root.toString(), "--no-download")));
        assertTrue(err.contains("use --model resnet20"), err);
        err = Console.stderrOf(() -> assertEquals(2, Main.run("eval", "--checkpoint", "pretrained:resnet21-cifar10")));
        assertTrue(err.contains("known: [resnet20-cifar10, resnet56-cifar10]"), err);
    }

    @Test
    void pretrainedDownloadVerifiesTheChecksumAndOfflineSaysWhereToPutACopy() throws Exception {
        byte[] real = Files.readAllBytes(SharedData.file("models", "resnet20-12fca82f.th"));
        AtomicInteger hits = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            hits.incrementAndGet();
            byte[] body = ex.getRequestURI().getPath().endsWith("/good.th") ? real : "not the model".getBytes(StandardCharsets.US_ASCII);
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        try {
            String base = "http://127.0.0.1:" + server.getAddress().getPort() + "/";
            Pretrained p = Pretrained.named("resnet20-cifar10");
            DataLocation loc = new DataLocation(tmp.resolve("cache"), "--data-dir");
            Path got = p.locate(loc, new Downloader(), true, URI.create(base + "good.th"));
            assertEquals(loc.root().resolve("models/resnet20-12fca82f.th"), got);
            assertArrayEquals(real, Files.readAllBytes(got));
            p.locate(loc, new Downloader(), true, URI.create(base + "good.th"));
            assertEquals(1, hits.get(), "a verified copy is not downloaded again");

            DataLocation other = new DataLocation(tmp.resolve("other"), "JQAT_DATA");
            DatasetException bad = assertThrows(DatasetException.class,
                    () -> p.locate(other, new Downloader(), true, URI.create(base + "bad.th")));
            assertTrue(bad.getMessage().contains("checksum mismatch, sha256"), bad.getMessage());
            assertFalse(Files.exists(other.root().resolve("models/resnet20-12fca82f.th")), "nothing kept");
        } finally {
            server.stop(0);
        }
        int closed;
        try (ServerSocket ss = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = ss.getLocalPort();
        }
        String key = "jqat.pretrained.resnet20-cifar10.url";
        System.setProperty(key, "http://127.0.0.1:" + closed + "/resnet20-12fca82f.th");
        try {
            Path offline = tmp.resolve("offline");
            String err = Console.stderrOf(() -> assertEquals(1, Main.run("import", "pretrained:resnet20-cifar10", "--data-dir",
                    offline.toString(), "--out", tmp.resolve("x.safetensors").toString())));
            assertTrue(err.contains("to use a local copy, put resnet20-12fca82f.th (sha256 " + SHA20) && err.contains(offline.resolve("models").toString())
                    && err.contains("--data-dir") && err.contains("$JQAT_DATA"), err);
            err = Console.stderrOf(() -> assertEquals(1, Main.run("import", "pretrained:resnet20-cifar10", "--data-dir",
                    offline.toString(), "--no-download", "--out", tmp.resolve("x.safetensors").toString())));
            assertTrue(err.contains("not found and downloading is off") && err.contains("--data-dir"), err);
        } finally {
            System.clearProperty(key);
        }
    }

    @Test
    void cifarPresetsStartFromThePublishedModel() {
        assertEquals("pretrained:resnet20-cifar10", ReproduceCommand.fpSource(Preset.named("cifar10-short"), null, false));
        assertEquals("pretrained:resnet20-cifar10", ReproduceCommand.fpSource(Preset.named("paper-cifar10"), null, false));
        assertNull(ReproduceCommand.fpSource(Preset.named("cifar10-short"), null, true), "--train-fp");
        assertNull(ReproduceCommand.fpSource(Preset.named("smoke"), null, false), "no published MNIST model");
        assertEquals("fp.safetensors", ReproduceCommand.fpSource(Preset.named("cifar10-short"), "fp.safetensors", false));
        String err = Console.stderrOf(() -> assertEquals(2, Main.run("reproduce", "--preset", "cifar10-short", "--teacher", "x",
                "--train-fp")));
        assertTrue(err.contains("--teacher and --train-fp"), err);
    }

    @Test
    void importHasHelp() {
        String o = Console.stdoutOf(() -> assertEquals(0, Main.run("import", "--help")));
        assertTrue(o.contains("--rename") && o.contains("--mean"), o);
        Map<String, String> none = Map.of();
        assertNull(org.jqat.nn.checkpoint.Preprocessing.fromMetadata(none, "x"));
    }
}
