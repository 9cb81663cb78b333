package dev.thinet4j.reliability;

import dev.thinet4j.model.Network;
import dev.thinet4j.onnx.OnnxImportException;
import dev.thinet4j.onnx.OnnxImporter;
import dev.thinet4j.onnx.UnsupportedOnnxException;
import dev.thinet4j.onnx.proto.OnnxAttribute;
import dev.thinet4j.onnx.proto.OnnxFormatException;
import dev.thinet4j.onnx.proto.OnnxGraph;
import dev.thinet4j.onnx.proto.OnnxModel;
import dev.thinet4j.onnx.proto.OnnxNode;
import dev.thinet4j.onnx.proto.OnnxProtoReader;
import dev.thinet4j.onnx.proto.OnnxProtoWriter;
import dev.thinet4j.onnx.proto.OnnxTensor;
import dev.thinet4j.onnx.proto.StringEntry;
import dev.thinet4j.onnx.proto.ValueInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static dev.thinet4j.reliability.Reliability.BAD;
import static dev.thinet4j.reliability.Reliability.assertCliFails;
import static dev.thinet4j.reliability.Reliability.assertRefused;
import static dev.thinet4j.reliability.Reliability.cli;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Bad ONNX models, through the library ({@link OnnxImporter#load}) and the command line
 * ({@code thinet4j info}): each is refused with the documented exception type, and the message names
 * the file and the node / tensor at fault.
 */
class OnnxBadInputTest {
    @TempDir
    Path tmp;

    // ------------------------------------------------------------------ files that are not ONNX

    @Test
    void garbageBytes() {
        Path f = BAD.resolve("garbage.onnx");
        assertRefused(OnnxFormatException.class, () -> OnnxImporter.load(f), "not an ONNX model", "garbage.onnx",
                "at byte");
        assertCliFails(1, cli("info", "--model", f.toString()), "garbage.onnx", "not an ONNX model");
    }

    @Test
    void truncatedModel() {
        Path f = BAD.resolve("truncated.onnx");
        assertRefused(OnnxFormatException.class, () -> OnnxImporter.load(f), "not an ONNX model", "truncated.onnx",
                "truncated");
        assertCliFails(1, cli("info", "--model", f.toString()), "truncated.onnx", "truncated");
    }

    @Test
    void protobufThatIsNotAModel() {
        Path f = BAD.resolve("not_a_model.onnx");
        assertRefused(OnnxFormatException.class, () -> OnnxImporter.load(f), "not_a_model.onnx",
                "not an ONNX ModelProto", "no graph");
        assertCliFails(1, cli("info", "--model", f.toString()), "not_a_model.onnx", "no graph");
    }

    @Test
    void emptyFile() throws IOException {
        Path f = Files.write(tmp.resolve("empty.onnx"), new byte[0]);
        assertRefused(OnnxFormatException.class, () -> OnnxImporter.load(f), "empty.onnx", "no graph");
    }

    @Test
    void missingFileAndDirectory() throws IOException {
        Path missing = tmp.resolve("nope.onnx");
        assertRefused(UncheckedIOException.class, () -> OnnxImporter.load(missing), "nope.onnx", "no such file");
        assertCliFails(2, cli("info", "--model", missing.toString()), "nope.onnx", "no such file");
        Path dir = Files.createDirectory(tmp.resolve("dir.onnx"));
        assertRefused(UncheckedIOException.class, () -> OnnxImporter.load(dir), "dir.onnx");
        assertCliFails(1, cli("info", "--model", dir.toString()), "dir.onnx");
    }

    // ------------------------------------------------------------------ valid ONNX, unsupported

    @Test
    void unsupportedOp() {
        Path f = BAD.resolve("unsupported_op.onnx");
        assertRefused(UnsupportedOnnxException.class, () -> OnnxImporter.load(f), "unsupported_op.onnx",
                "weird_node", "Tanh ×1", "supported: ");
        assertCliFails(1, cli("info", "--model", f.toString()), "weird_node", "Tanh");
    }

    @Test
    void externalDataFileMissing() throws IOException {
        Path model = Files.copy(BAD.resolve("external_data.onnx"), tmp.resolve("external_data.onnx"));
        UnsupportedOnnxException e = assertRefused(UnsupportedOnnxException.class, () -> OnnxImporter.load(model),
                "external_data.onnx", "initializer '", "external_data.onnx.data", "does not exist");
        assertThat(e.getCause()).isInstanceOf(java.nio.file.NoSuchFileException.class);
        assertCliFails(1, cli("info", "--model", model.toString()), "external_data.onnx.data", "does not exist");
    }

    @Test
    void externalDataFileTooShort() throws IOException {
        Path model = Files.copy(BAD.resolve("external_data.onnx"), tmp.resolve("external_data.onnx"));
        byte[] data = Files.readAllBytes(BAD.resolve("external_data.onnx.data"));
        Files.write(tmp.resolve("external_data.onnx.data"), Arrays.copyOf(data, data.length / 2));
        assertRefused(OnnxImportException.class, () -> OnnxImporter.load(model), "external_data.onnx",
                "initializer '", "ends before byte");
    }

    @Test
    void externalDataThatIsPresentLoads() throws IOException {
        // the positive control of the two cases above
        Path model = Files.copy(BAD.resolve("external_data.onnx"), tmp.resolve("external_data.onnx"));
        Files.copy(BAD.resolve("external_data.onnx.data"), tmp.resolve("external_data.onnx.data"));
        Network net = OnnxImporter.load(model);
        assertEquals("external_data", net.name());
    }

    @Test
    void externalDataOutsideTheModelFolder() throws IOException {
        OnnxTensor w = conv2Weight().toBuilder().rawData(new byte[0]).dataLocation(OnnxTensor.LOCATION_EXTERNAL)
                .externalData(List.of(new StringEntry("location", "../secret.bin"))).build();
        Path f = save(convModel(w, bias()), "escape.onnx");
        assertRefused(UnsupportedOnnxException.class, () -> OnnxImporter.load(f), "initializer 'w'",
                "../secret.bin", "outside the model's directory");
    }

    // ------------------------------------------------------------------ inconsistent graphs

    @Test
    void initializerSmallerThanItsShape() throws IOException {
        OnnxTensor w = conv2Weight().toBuilder().rawData(new byte[4 * 17]).build(); // 18 floats declared
        Path f = save(convModel(w, bias()), "short_weight.onnx");
        assertRefused(OnnxImportException.class, () -> OnnxImporter.load(f), "short_weight.onnx", "node 'conv'",
                "tensor 'w'", "[2, 1, 3, 3]", "raw_data holds 68 bytes", "need 72");
        assertCliFails(1, cli("info", "--model", f.toString()), "node 'conv'", "tensor 'w'", "[2, 1, 3, 3]");
    }

    @Test
    void initializerLargerThanItsShapeInTypedField() throws IOException {
        OnnxTensor b = OnnxTensor.builder().name("b").dataType(OnnxTensor.FLOAT).dims(2)
                .floatData(1f, 2f, 3f).build();
        Path f = save(convModel(conv2Weight(), b), "long_bias.onnx");
        assertRefused(OnnxImportException.class, () -> OnnxImporter.load(f), "node 'conv'", "tensor 'b'",
                "float_data holds 3 elements, but the dims need 2");
    }

    @Test
    void kernelShapeAttributeContradictsTheWeight() throws IOException {
        OnnxModel m = convModel(conv2Weight(), bias(), OnnxAttribute.ofInts("kernel_shape", 5, 5));
        Path f = save(m, "kernel.onnx");
        assertRefused(OnnxImportException.class, () -> OnnxImporter.load(f), "node 'conv'", "kernel_shape",
                "[5, 5]");
    }

    @Test
    void cycle() throws IOException {
        // a reads c_out, written by c, which reads b_out, written by b, which reads a_out: a cycle
        List<OnnxNode> nodes = List.of(
                OnnxNode.of("Add", "a", List.of("x", "c_out"), List.of("a_out")),
                OnnxNode.of("Relu", "b", List.of("a_out"), List.of("b_out")),
                OnnxNode.of("Relu", "c", List.of("b_out"), List.of("c_out")),
                OnnxNode.of("Relu", "out", List.of("c_out"), List.of("y")));
        Path f = save(model(nodes, List.of()), "cycle.onnx");
        assertRefused(OnnxImportException.class, () -> OnnxImporter.load(f), "cycle.onnx", "cycle", "node 'a'",
                "'c_out'", "node 'c'");
        assertCliFails(1, cli("info", "--model", f.toString()), "cycle", "node 'a'");
    }

    @Test
    void danglingInput() throws IOException {
        List<OnnxNode> nodes = List.of(OnnxNode.of("Add", "plus", List.of("x", "ghost"), List.of("y")));
        Path f = save(model(nodes, List.of()), "dangling.onnx");
        assertRefused(OnnxImportException.class, () -> OnnxImporter.load(f), "dangling.onnx", "node 'plus'",
                "'ghost'", "not the graph input, an initializer or the output of any node");
        assertCliFails(1, cli("info", "--model", f.toString()), "node 'plus'", "'ghost'");
    }

    @Test
    void tensorWrittenTwice() throws IOException {
        List<OnnxNode> nodes = List.of(OnnxNode.of("Relu", "r1", List.of("x"), List.of("y")),
                OnnxNode.of("Relu", "r2", List.of("x"), List.of("y")));
        Path f = save(model(nodes, List.of()), "twice.onnx");
        assertRefused(OnnxImportException.class, () -> OnnxImporter.load(f), "'y'", "node 'r1'", "node 'r2'");
    }

    @Test
    void nanWeight() throws IOException {
        float[] w = new float[18];
        w[7] = Float.NaN;
        Path f = save(convModel(OnnxTensor.ofFloats("w", w, 2, 1, 3, 3), bias()), "nan.onnx");
        assertRefused(OnnxImportException.class, () -> OnnxImporter.load(f), "nan.onnx", "initializer 'w'",
                "node 'conv'", "NaN", "flat index 7", "must be finite");
        assertCliFails(1, cli("info", "--model", f.toString()), "initializer 'w'", "NaN");
    }

    @Test
    void infiniteBias() throws IOException {
        Path f = save(convModel(conv2Weight(), OnnxTensor.ofFloats("b", new float[]{0f, Float.NEGATIVE_INFINITY}, 2)),
                "inf.onnx");
        assertRefused(OnnxImportException.class, () -> OnnxImporter.load(f), "initializer 'b'", "node 'conv'",
                "-Infinity", "flat index 1");
    }

    @Test
    void noImageInput() throws IOException {
        OnnxGraph g = new OnnxGraph("g", List.of(OnnxNode.of("Relu", "r", List.of("x"), List.of("y"))), List.of(),
                List.of(ValueInfo.tensor("x", OnnxTensor.FLOAT, 3, 4)),
                List.of(ValueInfo.tensor("y", OnnxTensor.FLOAT)), List.of(), "");
        Path f = save(OnnxModel.of(8, 13, g), "matrix.onnx");
        assertRefused(UnsupportedOnnxException.class, () -> OnnxImporter.load(f), "input 'x'",
                "4-D float tensor [batch, C, H, W]");
    }

    @Test
    void readerRejectsTheSameBytesFromAnArray() throws IOException {
        byte[] bytes = Files.readAllBytes(BAD.resolve("garbage.onnx"));
        assertRefused(OnnxFormatException.class, () -> OnnxProtoReader.read(bytes), "not an ONNX model",
                "byte array of 2048 bytes");
    }

    // ------------------------------------------------------------------ helpers

    static OnnxTensor conv2Weight() {
        float[] w = new float[18];
        for (int i = 0; i < w.length; i++) {
            w[i] = (i % 5 - 2) * 0.1f;
        }
        return OnnxTensor.ofFloats("w", w, 2, 1, 3, 3);
    }

    static OnnxTensor bias() {
        return OnnxTensor.ofFloats("b", new float[]{0.1f, -0.1f}, 2);
    }

    /** x [N,1,4,4] → Conv(w, b) named 'conv' → y. */
    static OnnxModel convModel(OnnxTensor w, OnnxTensor b, OnnxAttribute... attrs) {
        OnnxNode conv = OnnxNode.of("Conv", "conv", List.of("x", "w", "b"), List.of("y"), attrs);
        return model(List.of(conv), List.of(w, b));
    }

    static OnnxModel model(List<OnnxNode> nodes, List<OnnxTensor> inits) {
        OnnxGraph g = new OnnxGraph("g", nodes, inits,
                List.of(new ValueInfo("x", OnnxTensor.FLOAT, List.of(ValueInfo.Dim.param("N"), ValueInfo.Dim.of(1),
                        ValueInfo.Dim.of(4), ValueInfo.Dim.of(4)))),
                List.of(ValueInfo.tensor("y", OnnxTensor.FLOAT)), List.of(), "");
        return OnnxModel.of(8, 13, g);
    }

    private Path save(OnnxModel m, String name) {
        Path f = tmp.resolve(name);
        OnnxProtoWriter.write(m, f);
        return f;
    }
}
