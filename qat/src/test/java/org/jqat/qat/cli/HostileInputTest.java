package org.jqat.qat.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.core.io.SafetensorsFile;
import org.jqat.core.io.SafetensorsWriter;
import org.jqat.core.io.TensorEntry;
import org.jqat.nn.checkpoint.Checkpoint;
import org.jqat.nn.zoo.MnistCnn;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real {@code jqat} commands against careless and hostile input: each is refused with one
 * line naming the option, file, key or field (no stack trace), and nothing is written.
 */
class HostileInputTest {
    @TempDir
    Path tmp;

    /** Runs the command, checks the exit status and that stderr is one line without a stack trace; returns stderr. */
    static String refused(int status, String... args) {
        String err = Console.stderrOf(() -> assertEquals(status, Main.run(args), String.join(" ", args)));
        assertFalse(err.contains("\tat ") || err.contains("Exception in"), "stack trace for " + String.join(" ", args) + ":\n" + err);
        assertTrue(err.strip().lines().count() <= 2, "more than a short message:\n" + err);
        assertTrue(err.length() < 2000, "message of " + err.length() + " characters");
        return err;
    }

    /** A one-epoch MNIST training command; {@code extra} options replace the defaults of the same name. */
    private String[] train(Path out, String... extra) {
        Path data = TrainCommandTest.sharedDatasets();
        Map<String, String> o = new java.util.LinkedHashMap<>();
        String[] defaults = {"--model", "mnist-cnn", "--dataset", "mnist",
            "--data-dir", data == null ? tmp.resolve("none").toString() : data.toString(),
            "--epochs", "1", "--limit-train", "256", "--limit-test", "128", "--batch-size", "64", "--lr", "0.05",
            "--out", out.toString(), "--workers", "1"};
        for (int i = 0; i < defaults.length; i += 2) {
            o.put(defaults[i], defaults[i + 1]);
        }
        List<String> flags = new java.util.ArrayList<>(List.of("--no-download", "--no-progress"));
        for (int i = 0; i < extra.length; i++) {
            if (i + 1 < extra.length && !extra[i + 1].startsWith("--")) {
                o.put(extra[i], extra[++i]);
            } else {
                flags.add(extra[i]);
            }
        }
        List<String> a = new java.util.ArrayList<>(List.of("train"));
        o.forEach((k, v) -> {
            a.add(k);
            a.add(v);
        });
        a.addAll(flags);
        return a.toArray(String[]::new);
    }

    @Test
    void nonFiniteAndOutOfRangeTrainingValuesAreRefusedBeforeAnythingIsWritten() {
        Path out = tmp.resolve("run");
        assertTrue(refused(2, train(out, "--momentum", "NaN")).contains("momentum"));
        assertTrue(refused(2, train(out, "--weight-decay", "Infinity")).contains("weight decay"));
        assertTrue(refused(2, train(out, "--gamma", "NaN")).contains("gamma"));
        assertTrue(refused(2, train(out, "--label-smoothing", "NaN")).contains("label smoothing"));
        assertTrue(refused(2, train(out, "--schedule", "multistep", "--milestones", "5,-1")).contains("milestones"));
        assertTrue(refused(2, train(out, "--schedule", "step", "--step-size", "-5")).contains("-5"));
        assertTrue(refused(2, train(out, "--threads", "100000")).contains("--threads"));
        assertTrue(refused(2, train(out, "--allow-change", "seed")).contains("seed"));
        assertTrue(refused(2, train(Path.of(""))).contains("--out"));
        assertTrue(Files.notExists(out), "a refused command must not create its output directory");
    }

    @Test
    void resumeChecksTheCommandLineAgainstTheStoredRun() throws Exception {
        assumeTrue(TrainCommandTest.sharedDatasets() != null, "shared/datasets/mnist not found beside the repository");
        Path out = tmp.resolve("run");
        String first = Console.stdoutOf(() -> assertEquals(0, Main.run(train(out))));
        String config = Files.readString(out.resolve("config.json"));
        String err = refused(2, train(out, "--seed", "1", "--batch-size", "32"));
        assertTrue(err.contains("seed 0 -> 1") && err.contains("batch_size 64 -> 32"), err);
        assertEquals(config, Files.readString(out.resolve("config.json")));
        assertTrue(refused(2, train(out, "--model", "resnet20")).contains("model"));
        // The finished run reports its result again instead of "top1 NaN%".
        String again = Console.stdoutOf(() -> assertEquals(0, Main.run(train(out))));
        assertFalse(again.contains("NaN"), again);
        assertEquals(first.replaceAll(", \\d+ train img/s.*", ""), again.replaceAll(", \\d+ train img/s.*", ""));
        // Two epochs need the explicit override, and then continue the stored run.
        assertTrue(refused(2, train(out, "--epochs", "2")).contains("epochs 1 -> 2"));
        assertEquals(0, Main.run(train(out, "--epochs", "2", "--allow-change", "epochs")));
        assertEquals(2, Files.readAllLines(out.resolve("metrics.jsonl")).size());
        assertTrue(refused(2, train(out, "--epochs", "1", "--allow-change", "epochs")).contains("below the 2 epochs"));
        // --no-resume starts afresh: the old rows are gone, not followed by the new ones.
        assertEquals(0, Main.run(train(out, "--no-resume", "--seed", "5")));
        assertEquals(1, Files.readAllLines(out.resolve("metrics.jsonl")).size());
        // A batch larger than the data would make no step.
        assertTrue(refused(2, train(tmp.resolve("big"), "--batch-size", "100000")).contains("larger than the 256 training images"));
    }

    @Test
    void evalRefusesAnotherModelsAndANonFiniteCheckpoint() {
        Path other = tmp.resolve("resnet.safetensors");
        Checkpoint.save(other, org.jqat.nn.zoo.CifarResNet.resnet20(org.jqat.nn.zoo.CifarResNet.Shortcut.A, new Rng(0)),
                null, null, 1, null, Map.of());
        String err = refused(2, "eval", "--model", "mnist-cnn", "--dataset", "mnist", "--checkpoint", other.toString(),
                "--data-dir", tmp.toString(), "--no-download");
        assertTrue(err.contains("--checkpoint") && err.contains(other.toString()) && err.contains("and "), err);
        err = refused(2, "qat", "--model", "mnist-cnn", "--dataset", "mnist", "--teacher", other.toString(),
                "--data-dir", tmp.toString(), "--no-download", "--out", tmp.resolve("q").toString());
        assertTrue(err.contains("--teacher"), err);

        MnistCnn m = new MnistCnn(new Rng(0));
        Map<String, Tensor> sd = m.stateDict();
        Tensor w = sd.get("fc1.weight");
        float[] v = w.toFloatArray();
        v[3] = Float.NaN;
        m.loadStateDict(Map.of("fc1.weight", Tensor.of(v, w.shape())), false);
        Path nan = tmp.resolve("nan.safetensors");
        Checkpoint.save(nan, m, null, null, 1, null, Map.of());
        err = refused(1, "eval", "--model", "mnist-cnn", "--dataset", "mnist", "--checkpoint", nan.toString(),
                "--data-dir", tmp.toString(), "--no-download");
        assertTrue(err.contains("model.fc1.weight") && err.contains("NaN"), err);
    }

    @Test
    void evalWithAHugeBatchCountsEveryImage() {
        Path data = TrainCommandTest.sharedDatasets();
        assumeTrue(data != null, "shared/datasets/mnist not found beside the repository");
        Path ck = tmp.resolve("m.safetensors");
        Checkpoint.save(ck, new MnistCnn(new Rng(0)), null, null, 1, null, Map.of());
        String o = Console.stdoutOf(() -> assertEquals(0, Main.run("eval", "--model", "mnist-cnn", "--dataset", "mnist",
                "--checkpoint", ck.toString(), "--data-dir", data.toString(), "--no-download", "--limit", "64",
                "--batch-size", "2147483647", "--workers", "1")));
        assertTrue(o.contains("(64 images)"), o);
    }

    @Test
    void exportReadsTheCheckpointAndRefusesContradictingFlagsAndItsOwnInput() throws Exception {
        Path ck = tmp.resolve("best.safetensors");
        var q = calibrated(org.jqat.qat.convert.Qat.convert(new MnistCnn(new Rng(0)), org.jqat.qat.convert.QatConfig.builder().bits(4).build()));
        String settings = "{\"command\":\"qat\",\"model\":\"mnist-cnn\",\"dataset\":\"mnist\",\"method\":\"lsq\",\"wbits\":\"4\","
                + "\"abits\":\"4\",\"first_last\":\"fp\",\"per_channel\":\"false\",\"quantize_shortcuts\":\"true\"}";
        Checkpoint.save(ck, q, null, null, 1, null, Map.of("settings", settings));
        byte[] before = Files.readAllBytes(ck);
        String err = refused(2, "export", "--checkpoint", ck.toString(), "--out", tmp.resolve("x.safetensors").toString(), "--wbits", "2");
        assertTrue(err.contains("--wbits 2 (checkpoint: 4)"), err);
        assertTrue(refused(2, "export", "--checkpoint", ck.toString(), "--out", ck.toString()).contains("--out"));
        assertTrue(refused(2, "export", "--checkpoint", ck.toString(), "--out", tmp.resolve("./best.safetensors").toString()).contains("--out"));
        assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(ck)), "the checkpoint must be untouched");
        // Without flags the checkpoint's own settings are used (model and data set included).
        Path out = tmp.resolve("m.int.safetensors");
        String o = Console.stdoutOf(() -> assertEquals(0, Main.run("export", "--checkpoint", ck.toString(), "--out", out.toString())));
        assertTrue(o.contains("mnist-cnn lsq w4a4"), o);
        // A full-precision checkpoint is not exportable.
        Path fp = tmp.resolve("fp.safetensors");
        Checkpoint.save(fp, new MnistCnn(new Rng(0)), null, null, 1, null, Map.of("settings", "{\"command\":\"train\"}"));
        assertTrue(refused(2, "export", "--checkpoint", fp.toString(), "--out", tmp.resolve("y").toString()).contains("jqat train"));
    }

    /** One training-mode forward pass: the LSQ steps are set from data, as export requires. */
    private static <M extends org.jqat.nn.Module> M calibrated(M q) {
        q.train();
        try (var ng = org.jqat.core.Autograd.noGrad()) {
            q.forward(org.jqat.core.Tensor.randn(new Rng(1), 2, 1, 28, 28));
        }
        return q;
    }

    /** An exported MnistCnn with one metadata entry or tensor replaced. */
    private Path tampered(String key, String value, Map<String, float[]> tensors) {
        Path ck = tmp.resolve("q.safetensors");
        var q = calibrated(org.jqat.qat.convert.Qat.convert(new MnistCnn(new Rng(0)), org.jqat.qat.convert.QatConfig.builder().bits(4).build()));
        Checkpoint.save(ck, q, null, null, 1, null, Map.of());
        Path good = tmp.resolve("good.int.safetensors");
        if (!Files.exists(good)) {
            Console.stdoutOf(() -> assertEquals(0, Main.run("export", "--model", "mnist-cnn", "--dataset", "mnist",
                    "--checkpoint", ck.toString(), "--out", good.toString())));
        }
        Path bad = tmp.resolve("bad-" + Math.abs((key + value + tensors.keySet()).hashCode()) + ".safetensors");
        SafetensorsWriter w = new SafetensorsWriter();
        try (SafetensorsFile f = SafetensorsFile.open(good)) {
            f.metadata().forEach(w::metadata);
            if (key != null) {
                w.metadata(key, value);
            }
            for (String n : f.names()) {
                TensorEntry e = f.get(n);
                if (tensors.containsKey(n)) {
                    w.add(n, tensors.get(n), e.shape());
                } else {
                    w.add(e);
                }
            }
        }
        w.write(bad);
        return bad;
    }

    @Test
    void tamperedIntegerModelsAreRefusedNamingTheField() throws Exception {
        String[][] cases = {
            {"fc1.weight.code_min", "9", "code_min"},
            {"fc1.weight.bits", "0", "bits"},
            {"fc1.weight.bits", "9", "bits"},
            {"fc1.weight.bits", "2", "needs more than 2 bits"},
            {"fc1.weight.axis", "5", "axis"},
            {"fc1.weight.axis", "x", "axis"},
            {"layers", "", "no integer layer"},
            {"fc1.weight.shape", "10,-3", "shape"},
            {"jqat.wbits", "abc", "jqat.wbits"},
            {"jqat.method", "", "jqat.method"},
        };
        for (String[] c : cases) {
            Path bad = tampered(c[0], c[1], Map.of());
            String err = refused(1 + (c[0].startsWith("jqat.") ? 1 : 0), "infer", bad.toString(), "--image", tmp.resolve("none.png").toString());
            assertTrue(err.contains(c[2]) && err.contains(bad.toString()), c[0] + "=" + c[1] + ": " + err);
        }
        for (float s : new float[] {0f, -1f, Float.NaN}) {
            float[] scale = new float[1];
            scale[0] = s;
            Path bad = tampered(null, null, Map.of("fc1.weight.scale", scale));
            String err = refused(1, "infer", bad.toString(), "--image", tmp.resolve("none.png").toString());
            assertTrue(err.contains("fc1.weight.scale") && err.contains("positive and finite"), err);
        }
        // A code outside its declared range: narrow the declared range of a 4-bit layer.
        Path bad = tampered("fc1.weight.code_max", "0", Map.of());
        String err = refused(1, "infer", bad.toString(), "--image", tmp.resolve("none.png").toString());
        assertTrue(err.contains("fc1.weight.codes") || err.contains("code_max"), err);
    }

    @Test
    void aDecompressionBombIsRefusedBeforeDecoding() throws Exception {
        Path png = tmp.resolve("bomb.png");
        Files.write(png, bombPng(100_000, 100_000));
        Path model = tampered(null, null, Map.of());
        String err = refused(1, "infer", model.toString(), "--image", png.toString());
        assertTrue(err.contains("bomb.png") && err.contains("100000x100000"), err);
    }

    /** A 1×1 PNG whose header then claims {@code w × h} pixels (the IDAT stays tiny). */
    static byte[] bombPng(int w, int h) throws Exception {
        BufferedImage img = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        ImageIO.write(img, "png", buf);
        byte[] b = buf.toByteArray();
        // signature (8) + length (4) + "IHDR" (4): width and height follow, then 5 bytes, then the CRC
        ByteBuffer bb = ByteBuffer.wrap(b);
        bb.putInt(16, w).putInt(20, h);
        CRC32 crc = new CRC32();
        crc.update(b, 12, 17);
        bb.putInt(29, (int) crc.getValue());
        return b;
    }

    @Test
    void writeErrorsSayWhy() throws Exception {
        Path file = Files.writeString(tmp.resolve("occupied"), "a file, not a directory");
        String err = refused(1, train(file.resolve("run")));
        assertTrue(err.contains("cannot create output directory") && err.contains("Not a directory"), err);
        assertTrue(refused(2, "export", "--checkpoint", file.toString(), "--out", "").contains("--out"));
    }

    @Test
    void conformanceOnAnEmptyDirectoryFails() {
        String err = Console.stderrOf(() -> Console.stdoutOf(() -> assertEquals(1, Main.run("conformance", tmp.toString()))));
        assertTrue(err.contains("no golden case"), err);
    }

    @Test
    void helpStatesTheBitWidthsTheMethodsAccept() {
        String o = Console.stdoutOf(() -> assertEquals(0, Main.run("qat", "--help")));
        assertTrue(o.replaceAll("\\s+", " ").contains("1 to 8; lsq and lsq-plus need 2 or more"), o);
        String err = refused(2, "qat", "--wbits", "1", "--teacher", tmp.resolve("t").toString(), "--out", tmp.resolve("q").toString());
        assertTrue(err.contains("--wbits 1") && err.contains("at least 2"), err);
        assertTrue(Files.notExists(tmp.resolve("q")));
    }

    @Test
    void aHostileKeyListMakesAShortMessage() {
        List<String> many = java.util.stream.IntStream.range(0, 1_000_000).mapToObj(i -> "k" + i).toList();
        String s = new org.jqat.nn.LoadReport(List.of(), many, List.of()).toString();
        assertTrue(s.length() < 400 && s.contains("999990 more"), s.substring(0, Math.min(400, s.length())));
    }

    @Test
    void anUnknownBlockReplacementSettingIsNamed() {
        String err = refused(2, "qat", "--br", "--br-per-step", "sometimes", "--teacher", tmp.resolve("t").toString(),
                "--out", tmp.resolve("q").toString());
        assertTrue(err.contains("--br-per-step") && err.contains("sometimes"), err);
        assertTrue(Files.notExists(tmp.resolve("q")));
    }

    @Test
    void qatRefusesATeacherInsideItsOwnOutputDirectory() {
        Path teacher = tmp.resolve("run/last.safetensors");
        String err = refused(2, "qat", "--model", "mnist-cnn", "--dataset", "mnist", "--teacher", teacher.toString(),
                "--out", tmp.resolve("run").toString());
        assertTrue(err.contains("--teacher") && err.contains("--out"), err);
    }

}
