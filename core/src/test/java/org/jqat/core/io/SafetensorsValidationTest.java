package org.jqat.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One crafted file per validation rule; each must fail with a message naming file, tensor and problem. */
class SafetensorsValidationTest {

    @TempDir
    Path dir;

    /** 8-byte little-endian length, the header text, then {@code dataBytes} zero bytes. */
    static byte[] craft(String header, int dataBytes) {
        return craft(header.getBytes(StandardCharsets.UTF_8), dataBytes);
    }

    static byte[] craft(byte[] header, int dataBytes) {
        return ByteBuffer.allocate(8 + header.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(header.length).put(header).array();
    }

    /** Writes the bytes to a file, opens it, and returns the failure (asserting there is one). */
    private SafetensorsException fails(byte[] content) throws IOException {
        Path file = dir.resolve("case.safetensors");
        Files.write(file, content);
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(file));
        assertTrue(e.getMessage().startsWith(file + ": "), "message names the file: " + e.getMessage());
        assertEquals(file.toString(), e.source());
        return e;
    }

    private SafetensorsException failsForTensor(String header, int dataBytes, String tensor, String problemPart)
            throws IOException {
        SafetensorsException e = fails(craft(header, dataBytes));
        assertEquals(tensor, e.tensor(), e.getMessage());
        assertTrue(e.getMessage().contains(": tensor '" + tensor + "': "), e.getMessage());
        assertTrue(e.getMessage().contains(problemPart), "expected '" + problemPart + "' in: " + e.getMessage());
        return e;
    }

    private SafetensorsException failsForFile(byte[] content, String problemPart) throws IOException {
        SafetensorsException e = fails(content);
        assertNull(e.tensor(), e.getMessage());
        assertTrue(e.getMessage().contains(problemPart), "expected '" + problemPart + "' in: " + e.getMessage());
        return e;
    }

    @Test
    void fileShorterThanEightBytes() throws IOException {
        failsForFile(new byte[0], "0 bytes, shorter than the 8-byte header length");
        failsForFile(new byte[7], "7 bytes, shorter than the 8-byte header length");
    }

    @Test
    void headerLengthBeyondFile() throws IOException {
        byte[] content = craft("{}", 0);
        content[0] = 100;
        failsForFile(content, "header length 100 goes beyond the end of the file (10 bytes)");
    }

    @Test
    void absurdHeaderLength() throws IOException {
        byte[] content = craft("{}", 0);
        ByteBuffer.wrap(content).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 40);
        failsForFile(content, "header length 1099511627776 is absurd");
        ByteBuffer.wrap(content).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -1L);
        failsForFile(content, "header length 18446744073709551615 is absurd");
        ByteBuffer.wrap(content).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 100_000_001L);
        failsForFile(content, "is absurd");
    }

    @Test
    void headerNotUtf8() throws IOException {
        byte[] header = "{\"a\":{}}".getBytes(StandardCharsets.US_ASCII);
        header[2] = (byte) 0xFF;
        failsForFile(craft(header, 0), "header is not valid UTF-8 (bad byte sequence at header byte 2)");
        byte[] overlong = {'{', '"', (byte) 0xC0, (byte) 0xAF, '"', ':', '1', '}'};   // overlong '/'
        failsForFile(craft(overlong, 0), "not valid UTF-8");
    }

    @Test
    void headerNotJsonOrNotAnObject() throws IOException {
        failsForFile(craft("{\"w\": {\"dtype\": \"F32\",", 0), "header is not valid JSON: JSON error at position");
        failsForFile(craft("", 0), "header is not valid JSON");
        failsForFile(craft("[1, 2]", 0), "header is not a JSON object but an array");
        failsForFile(craft("\"str\"", 0), "header is not a JSON object but a string");
        failsForFile(craft("{\"a\":1,\"a\":2}", 0), "duplicate key");
        failsForFile(craft("[".repeat(5000), 0), "nesting deeper than 64");
    }

    @Test
    void entryNotAnObjectOrIncomplete() throws IOException {
        failsForTensor("{\"w\": 5}", 0, "w", "header entry is not a JSON object but the integer 5");
        failsForTensor("{\"w\": [\"F32\"]}", 0, "w", "header entry is not a JSON object but an array");
        failsForTensor("{\"w\": {\"shape\": [1], \"data_offsets\": [0, 4]}}", 4, "w", "lacks \"dtype\"");
        failsForTensor("{\"w\": {\"dtype\": \"F32\", \"data_offsets\": [0, 4]}}", 4, "w", "lacks \"shape\"");
        failsForTensor("{\"w\": {\"dtype\": \"F32\", \"shape\": [1]}}", 4, "w", "lacks \"data_offsets\"");
        failsForTensor("{\"w\": {\"dtype\": null, \"shape\": [1], \"data_offsets\": [0, 4]}}", 4, "w", "lacks \"dtype\"");
    }

    @Test
    void unknownDtype() throws IOException {
        failsForTensor("{\"w\": {\"dtype\": \"F8_E4M3\", \"shape\": [1], \"data_offsets\": [0, 1]}}", 1, "w",
                "unknown or unsupported dtype 'F8_E4M3'");
        failsForTensor("{\"w\": {\"dtype\": \"f32\", \"shape\": [1], \"data_offsets\": [0, 4]}}", 4, "w", "unknown");
        failsForTensor("{\"w\": {\"dtype\": 4, \"shape\": [1], \"data_offsets\": [0, 4]}}", 4, "w",
                "\"dtype\" is the integer 4, expected a string");
    }

    @Test
    void badShapes() throws IOException {
        failsForTensor("{\"w\": {\"dtype\": \"F32\", \"shape\": [2, -1], \"data_offsets\": [0, 4]}}", 4, "w",
                "shape dimension 1 is negative (-1)");
        failsForTensor("{\"w\": {\"dtype\": \"F32\", \"shape\": [1.5], \"data_offsets\": [0, 4]}}", 4, "w",
                "shape dimension 0 is the number 1.5, expected a non-negative integer");
        failsForTensor("{\"w\": {\"dtype\": \"F32\", \"shape\": [\"2\"], \"data_offsets\": [0, 8]}}", 8, "w",
                "shape dimension 0 is a string");
        failsForTensor("{\"w\": {\"dtype\": \"F32\", \"shape\": 4, \"data_offsets\": [0, 16]}}", 16, "w",
                "\"shape\" is the integer 4, expected an array");
        failsForTensor("{\"w\": {\"dtype\": \"F32\", \"shape\": [99999999999999999999], \"data_offsets\": [0, 4]}}", 4, "w",
                "shape dimension 0 is the number 1.0E20");
        failsForTensor("{\"w\": {\"dtype\": \"F32\", \"shape\": [4294967296], \"data_offsets\": [0, 4]}}", 4, "w",
                "shape dimension 0 = 4294967296 is larger than 2147483647");
        failsForTensor("{\"w\": {\"dtype\": \"F64\", \"shape\": [2147483647, 2147483647, 2147483647], \"data_offsets\": [0, 8]}}",
                8, "w", "overflows 64 bits");
        // The product fits in 64 bits but the byte count does not.
        failsForTensor("{\"w\": {\"dtype\": \"F64\", \"shape\": [2147483647, 2147483647, 2], \"data_offsets\": [0, 8]}}",
                8, "w", "overflows 64 bits");
    }

    @Test
    void badDataOffsets() throws IOException {
        failsForTensor("{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0]}}", 4, "w",
                "\"data_offsets\" must be two non-negative integers [begin, end], got [0]");
        failsForTensor("{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4, 8]}}", 8, "w", "must be two");
        failsForTensor("{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4.0]}}", 4, "w", "must be two");
        failsForTensor("{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": \"0-4\"}}", 4, "w", "must be two");
        failsForTensor("{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [-4, 0]}}", 4, "w",
                "data offsets [-4, 0) are negative");
        failsForTensor("{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [8, 4]}}", 8, "w",
                "data offsets [8, 4) end before they begin");
    }

    @Test
    void endBeyondDataSection() throws IOException {
        failsForTensor("{\"w\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}}", 4, "w",
                "data offsets [0, 8) go beyond the data section (4 bytes)");
        failsForTensor("{\"w\": {\"dtype\": \"F32\", \"shape\": [0], \"data_offsets\": [9, 9]}}", 4, "w",
                "go beyond the data section");
    }

    @Test
    void byteCountDoesNotMatchShape() throws IOException {
        failsForTensor("{\"w\": {\"dtype\": \"BF16\", \"shape\": [2, 3], \"data_offsets\": [0, 24]}}", 24, "w",
                "data offsets [0, 24) do not match shape [2, 3] of BF16 (12 bytes)");
        // The exact message format promised by SafetensorsException's documentation.
        byte[] content = craft("{\"fc.weight\": {\"dtype\": \"F32\", \"shape\": [10, 64], \"data_offsets\": [0, 400]}}", 400);
        SafetensorsException e = assertThrows(SafetensorsException.class,
                () -> SafetensorsFile.fromBytes("model.safetensors", content));
        assertEquals("model.safetensors: tensor 'fc.weight': data offsets [0, 400) do not match shape [10, 64] of F32 (2560 bytes)",
                e.getMessage());
    }

    @Test
    void overlappingTensors() throws IOException {
        String header = "{\"a\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 16]},"
                + " \"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [8, 16]}}";
        failsForTensor(header, 16, "b", "data offsets [8, 16) overlap those of tensor 'a' [0, 16)");
        // Order in the header must not matter.
        String reversed = "{\"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [12, 20]},"
                + " \"a\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 16]}}";
        failsForTensor(reversed, 20, "b", "overlap those of tensor 'a'");
        String identical = "{\"a\": {\"dtype\": \"I32\", \"shape\": [1], \"data_offsets\": [0, 4]},"
                + " \"b\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}";
        SafetensorsException e = fails(craft(identical, 4));
        assertTrue(e.getMessage().contains("overlap"), e.getMessage());
    }

    @Test
    void metadataMustBeAStringMap() throws IOException {
        failsForFile(craft("{\"__metadata__\": {\"op\": \"relu\", \"steps\": 2}}", 0),
                "__metadata__ value for key 'steps' is the integer 2, but the format allows only strings");
        failsForFile(craft("{\"__metadata__\": {\"flag\": true}}", 0), "is the boolean true");
        failsForFile(craft("{\"__metadata__\": {\"x\": null}}", 0), "is null");
        failsForFile(craft("{\"__metadata__\": [\"op\"]}", 0), "__metadata__ is not a JSON object but an array");
    }

    @Test
    void hugeTensorNamesAreShortenedInMessages() throws IOException {
        String name = "n".repeat(1_000_000);
        SafetensorsException e = fails(craft("{\"" + name + "\": 1}", 0));
        assertTrue(e.getMessage().length() < 500, "message length " + e.getMessage().length());
        assertEquals(name, e.tensor());
    }

    @Test
    void toleratedIrregularities() {
        // Gaps between tensors, unordered offsets, unknown entry keys, whitespace padding and
        // zero-length tensors at any offset are all accepted.
        String header = "  {\"b\": {\"dtype\": \"I32\", \"shape\": [1], \"data_offsets\": [12, 16], \"extra\": [1]},"
                + " \"a\": {\"dtype\": \"I32\", \"shape\": [1], \"data_offsets\": [0, 4]},"
                + " \"z\": {\"dtype\": \"F32\", \"shape\": [0, 3], \"data_offsets\": [2, 2]}}\n\t ";
        byte[] content = craft(header, 20);
        ByteBuffer.wrap(content).order(ByteOrder.LITTLE_ENDIAN)
                .putInt(8 + header.length(), 11).putInt(8 + header.length() + 12, 22);
        SafetensorsFile f = SafetensorsFile.fromBytes("gaps", content);
        assertArrayEquals(new int[] {11}, f.get("a").toIntArray());
        assertArrayEquals(new int[] {22}, f.get("b").toIntArray());
        assertEquals(0, f.get("z").numel());
    }

    @Test
    void corruptBoolBytesAreReportedOnConversion() {
        byte[] content = craft("{\"m\": {\"dtype\": \"BOOL\", \"shape\": [2], \"data_offsets\": [0, 2]}}", 2);
        content[content.length - 1] = 7;
        SafetensorsFile f = SafetensorsFile.fromBytes("mask.safetensors", content);
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> f.get("m").toLongArray());
        assertEquals("mask.safetensors: tensor 'm': BOOL element 1 has byte value 7, expected 0 or 1", e.getMessage());
    }

    @Test
    void missingFileIsWrapped() {
        Path missing = dir.resolve("nope.safetensors");
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(missing));
        assertTrue(e.getMessage().startsWith(missing + ": cannot read file"), e.getMessage());
        assertTrue(e.getCause() instanceof IOException);
    }
}
