package dev.thinet4j.onnx.proto;

import com.google.protobuf.CodedOutputStream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Garbage, truncated and non-ONNX protobuf input fail with a clear {@link OnnxFormatException}. */
class OnnxProtoBadInputTest {

    static OnnxModel smallModel() {
        OnnxGraph graph = new OnnxGraph("g",
                List.of(OnnxNode.of("Conv", "conv0", List.of("x", "w"), List.of("y"),
                        OnnxAttribute.ofInts("kernel_shape", 2, 2), OnnxAttribute.ofInt("group", 1))),
                List.of(OnnxTensor.ofFloats("w", new float[] {1, 2, 3, 4}, 1, 1, 2, 2)),
                List.of(ValueInfo.tensor("x", OnnxTensor.FLOAT, 1, 1, 3, 3)),
                List.of(ValueInfo.tensor("y", OnnxTensor.FLOAT, 1, 1, 2, 2)), null, "");
        return OnnxModel.of(8, 13, graph);
    }

    @Test
    void emptyInputHasNoGraph() {
        OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> OnnxProtoReader.read(new byte[0]));
        assertEquals("not an ONNX model: byte array of 0 bytes is a protobuf but not an ONNX ModelProto: no graph",
                e.getMessage());
    }

    @Test
    void emptyFileHasNoGraphAndNamesTheFile(@TempDir Path dir) throws IOException {
        Path file = Files.createFile(dir.resolve("empty.onnx"));
        OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> OnnxProtoReader.read(file));
        assertTrue(e.getMessage().startsWith("not an ONNX model: " + file), e.getMessage());
        assertTrue(e.getMessage().endsWith("no graph"), e.getMessage());
    }

    @Test
    void aProtobufWithoutAGraphIsRejected() throws IOException {
        // A valid protobuf with ONNX-like fields (ir_version, producer_name, opset_import) but no graph.
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(buf);
        out.writeInt64(1, 8);
        out.writeString(2, "pytorch");
        out.flush();
        OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> OnnxProtoReader.read(buf.toByteArray()));
        assertTrue(e.getMessage().contains("is a protobuf but not an ONNX ModelProto: no graph"), e.getMessage());
    }

    @Test
    void aGraphWithoutIrVersionOrOpsetIsRejected() {
        byte[] bytes = OnnxProtoWriter.write(smallModel());
        // drop the leading ir_version field (tag 0x08, value 8): one byte each
        assertEquals(0x08, bytes[0]);
        byte[] noIr = Arrays.copyOfRange(bytes, 2, bytes.length);
        OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> OnnxProtoReader.read(noIr));
        assertTrue(e.getMessage().endsWith("not an ONNX ModelProto: no ir_version"), e.getMessage());
    }

    @Test
    void everyTruncationOfAValidModelIsRejected() {
        byte[] bytes = OnnxProtoWriter.write(smallModel());
        for (int length = 0; length < bytes.length; length++) {
            byte[] prefix = Arrays.copyOf(bytes, length);
            OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> OnnxProtoReader.read(prefix),
                    "prefix of " + length + " bytes");
            assertTrue(e.getMessage().startsWith("not an ONNX model: byte array of " + length + " bytes"), e.getMessage());
        }
    }

    @Test
    void truncatedFileSaysWhereItBroke(@TempDir Path dir) throws IOException {
        byte[] bytes = OnnxProtoWriter.write(smallModel());
        Path file = dir.resolve("cut.onnx");
        Files.write(file, Arrays.copyOf(bytes, bytes.length - 40));
        OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> OnnxProtoReader.read(file));
        assertTrue(e.getMessage().matches("not an ONNX model: .*cut\\.onnx: truncated or corrupt protobuf at byte \\d+ \\(.*\\)"),
                e.getMessage());
        assertTrue(e.getCause() instanceof com.google.protobuf.InvalidProtocolBufferException);
    }

    @Test
    void truncatedStreamIsRejected() {
        byte[] bytes = OnnxProtoWriter.write(smallModel());
        byte[] cut = Arrays.copyOf(bytes, bytes.length / 2);
        OnnxFormatException e = assertThrows(OnnxFormatException.class,
                () -> OnnxProtoReader.read(new ByteArrayInputStream(cut)));
        assertTrue(e.getMessage().startsWith("not an ONNX model: input stream: truncated or corrupt protobuf at byte "),
                e.getMessage());
    }

    @Test
    void textIsNotAModel() {
        byte[] text = "{\"this\": \"is json, not onnx\"}\n".getBytes(StandardCharsets.UTF_8);
        OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> OnnxProtoReader.read(text));
        assertTrue(e.getMessage().startsWith("not an ONNX model: byte array of " + text.length + " bytes: "), e.getMessage());
    }

    @Test
    void invalidUtf8InANameIsRejected() {
        byte[] bytes = OnnxProtoWriter.write(smallModel());
        int at = indexOf(bytes, "conv0".getBytes(StandardCharsets.UTF_8));
        bytes[at] = (byte) 0xC3; // a lead byte followed by an ASCII byte: invalid UTF-8
        OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> OnnxProtoReader.read(bytes));
        assertTrue(e.getMessage().contains("UTF-8"), e.getMessage());
    }

    @Test
    void deeplyNestedSubgraphsAreRejectedWithoutStackOverflow() {
        OnnxGraph g = new OnnxGraph("leaf", null, null, null, null, null, null);
        for (int k = 0; k < OnnxProtoReader.MAX_GRAPH_DEPTH + 5; k++) {
            g = new OnnxGraph("g" + k, List.of(OnnxNode.of("If", "", List.of("c"), List.of("y"),
                    OnnxAttribute.ofGraph("then_branch", g))), null, null, null, null, null);
        }
        byte[] bytes = OnnxProtoWriter.write(OnnxModel.of(8, 13, g));
        OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> OnnxProtoReader.read(bytes));
        assertTrue(e.getMessage().contains("nested more than"), e.getMessage());
    }

    @Test
    void missingFileIsAnIoError(@TempDir Path dir) {
        Path file = dir.resolve("missing.onnx");
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> OnnxProtoReader.read(file));
        assertTrue(e.getMessage().contains("missing.onnx"), e.getMessage());
    }

    @Test
    void seededRandomInputsAllFailCleanly() {
        Random random = new Random(20240611L);
        int failures = 0;
        for (int k = 0; k < 20_000; k++) {
            byte[] bytes = new byte[1 + random.nextInt(64)];
            random.nextBytes(bytes);
            try {
                OnnxProtoReader.read(bytes);
            } catch (OnnxFormatException e) {
                assertTrue(e.getMessage().startsWith("not an ONNX model: byte array of "), e.getMessage());
                failures++;
            }
        }
        assertEquals(20_000, failures);
    }

    @Provide
    Arbitrary<byte[]> garbage() {
        return Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(512);
    }

    @Property(tries = 2000)
    void randomBytesGiveAClearFormatError(@ForAll("garbage") byte[] bytes) {
        OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> OnnxProtoReader.read(bytes));
        String m = e.getMessage();
        assertTrue(m.startsWith("not an ONNX model: byte array of " + bytes.length + " bytes"), m);
        assertTrue(m.contains("truncated or corrupt protobuf at byte ") || m.contains("not an ONNX ModelProto: no "), m);
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }
}
