package dev.thinet4j.reliability;

import com.google.protobuf.ByteString;
import dev.thinet4j.model.ModelSize;
import dev.thinet4j.model.Network;
import dev.thinet4j.onnx.OnnxExporter;
import dev.thinet4j.onnx.OnnxImportException;
import dev.thinet4j.onnx.OnnxImporter;
import dev.thinet4j.onnx.proto.OnnxAttribute;
import dev.thinet4j.onnx.proto.OnnxFormatException;
import dev.thinet4j.onnx.proto.OnnxGraph;
import dev.thinet4j.onnx.proto.OnnxModel;
import dev.thinet4j.onnx.proto.OnnxNode;
import dev.thinet4j.onnx.proto.OnnxProtoReader;
import dev.thinet4j.onnx.proto.OnnxProtoWriter;
import dev.thinet4j.onnx.proto.OnnxTensor;
import dev.thinet4j.onnx.proto.ValueInfo;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzing of the ONNX reader ({@link OnnxProtoReader}) and importer ({@link OnnxImporter}): mutated
 * fixture bytes (bit flips, inserted / deleted / duplicated ranges, corrupted lengths, truncation),
 * random bytes, and structurally mutated models (dropped nodes, rewired inputs, wrong dims, types and
 * attributes). The only exceptions that may escape are the documented ones —
 * {@link OnnxFormatException} and {@link OnnxImportException} (with its subclass
 * {@code UnsupportedOnnxException}), and {@link UncheckedIOException} for files — never an
 * {@code OutOfMemoryError}, {@code StackOverflowError}, {@code ArrayIndexOutOfBoundsException}, ….
 * A model that imports must also measure, export and import again.
 */
class OnnxFuzzTest {
    /** Small PyTorch exports covering the import patterns (the big VGG / ResNet would only add weights). */
    static final String[] SMALL = {"zoo/zoo_acts.onnx", "zoo/zoo_acts_torchpad.onnx", "zoo/zoo_asym_pad_matmul.onnx",
        "zoo/zoo_concat.onnx", "zoo/zoo_groups.onnx", "zoo/zoo_reshape_opset11.onnx", "bad/unsupported_op.onnx",
        "bad/external_data.onnx", "bad/not_a_model.onnx"};
    static final String[] STRUCTURE = {"zoo/zoo_acts.onnx", "zoo/zoo_asym_pad_matmul.onnx", "zoo/zoo_concat.onnx",
        "zoo/zoo_groups.onnx", "zoo/zoo_reshape_opset11.onnx", "zoo/zoo_acts_torchpad.onnx", "bad/external_data.onnx"};
    static final List<String> OPS;

    static {
        List<String> ops = new ArrayList<>(OnnxImporter.SUPPORTED_OPS);
        ops.add("Tanh");
        OPS = List.copyOf(ops);
    }

    static byte[][] smallBytes;
    static OnnxModel[] models;
    static Path dir;

    @BeforeContainer
    static void load() throws IOException {
        smallBytes = new byte[SMALL.length][];
        for (int i = 0; i < SMALL.length; i++) {
            smallBytes[i] = Files.readAllBytes(Reliability.FIX.resolve(SMALL[i]));
        }
        models = new OnnxModel[STRUCTURE.length];
        for (int i = 0; i < STRUCTURE.length; i++) {
            models[i] = OnnxProtoReader.read(Reliability.FIX.resolve(STRUCTURE[i]));
        }
        dir = Files.createTempDirectory("thinet4j-onnx-fuzz");
    }

    @AfterContainer
    static void cleanUp() throws IOException {
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    // ------------------------------------------------------------------ properties

    @Property(tries = 2500, seed = "20261126")
    void mutatedFixtureBytes(@ForAll @IntRange(min = 0, max = 8) int fixture, @ForAll long seed) {
        byte[] bytes = mutate(smallBytes[fixture], new Random(seed));
        importBytes(bytes);
    }

    @Property(tries = 1000, seed = "20261126")
    void randomBytes(@ForAll @Size(max = 600) byte[] bytes) {
        importBytes(bytes);
    }

    @Property(tries = 300, seed = "20261126")
    void mutatedFilesThroughLoad(@ForAll @IntRange(min = 0, max = 8) int fixture, @ForAll long seed) throws IOException {
        Path f = dir.resolve("fuzz.onnx");
        Files.write(f, mutate(smallBytes[fixture], new Random(seed)));
        try {
            check(OnnxImporter.load(f));
        } catch (OnnxFormatException | OnnxImportException | UncheckedIOException expected) {
            assertThat(expected.getMessage()).isNotBlank();
        }
    }

    @Property(tries = 1500, seed = "20261126")
    void structurallyMutatedModels(@ForAll @IntRange(min = 0, max = 6) int fixture, @ForAll long seed) {
        Random r = new Random(seed);
        OnnxModel m = models[fixture];
        int n = 1 + r.nextInt(3);
        for (int k = 0; k < n; k++) {
            m = mutateModel(m, r);
        }
        try {
            // through the codec, so the writer and reader see the mutated records too
            OnnxModel back = OnnxProtoReader.read(OnnxProtoWriter.write(m));
            check(OnnxImporter.fromModel(back, "fuzz.onnx"));
        } catch (OnnxFormatException | OnnxImportException expected) {
            assertThat(expected.getMessage()).startsWith(expected instanceof OnnxFormatException
                    ? "not an ONNX model" : "cannot import fuzz.onnx: ");
        }
    }

    // ------------------------------------------------------------------ checks

    private static void importBytes(byte[] bytes) {
        OnnxModel m;
        try {
            m = OnnxProtoReader.read(bytes);
        } catch (OnnxFormatException expected) {
            assertThat(expected.getMessage()).startsWith("not an ONNX model: byte array of " + bytes.length);
            // the stream reader agrees
            try {
                OnnxProtoReader.read(new ByteArrayInputStream(bytes));
                throw new AssertionError("the stream reader accepted what the array reader refused");
            } catch (OnnxFormatException alsoExpected) {
                return;
            }
        }
        try {
            Network net = OnnxImporter.fromModel(m, "fuzz.onnx");
            net.shapes(1);
            ModelSize.of(net);
        } catch (OnnxImportException expected) {
            assertThat(expected.getMessage()).startsWith("cannot import fuzz.onnx: ");
        }
    }

    /** A network that imported is consistent: it measures, exports and imports again. */
    private static void check(Network net) {
        net.shapes(1);
        ModelSize.of(net);
        Network again = OnnxImporter.fromModel(OnnxProtoReader.read(OnnxProtoWriter.write(OnnxExporter.toModel(net))),
                "again.onnx");
        assertThat(again.nodes()).hasSameSizeAs(net.nodes());
    }

    // ------------------------------------------------------------------ byte mutations

    static byte[] mutate(byte[] original, Random r) {
        byte[] b = original.clone();
        int n = 1 + r.nextInt(6);
        for (int k = 0; k < n && b.length > 0; k++) {
            int pos = r.nextInt(b.length);
            switch (r.nextInt(8)) {
                case 0 -> b[pos] ^= (byte) (1 << r.nextInt(8));
                case 1 -> b[pos] = (byte) new int[]{0x00, 0xFF, 0x80, 0x7F, 0x0A, 0x12, 0x3A, 0x4A}[r.nextInt(8)];
                case 2 -> b = insert(b, pos, randomBytes(r, 1 + r.nextInt(16)));
                case 3 -> b = delete(b, pos, 1 + r.nextInt(64));
                case 4 -> {
                    int len = Math.min(b.length - pos, 1 + r.nextInt(128));
                    b = insert(b, r.nextInt(b.length), Arrays.copyOfRange(b, pos, pos + len));
                }
                case 5 -> b = Arrays.copyOf(b, pos); // truncate
                default -> b = corruptLength(b, r);
            }
        }
        return b;
    }

    /**
     * Replaces the length after a random length-delimited tag (wire type 2) by a large, small or
     * random varint.
     */
    static byte[] corruptLength(byte[] b, Random r) {
        int start = r.nextInt(b.length);
        for (int i = start; i < b.length - 1; i++) {
            if ((b[i] & 0x07) == 2 && (b[i] & 0x80) == 0 && (b[i] >>> 3) > 0) {
                long len = switch (r.nextInt(4)) {
                    case 0 -> 0x7FFFFFF0L;
                    case 1 -> 0xFFFFFFFFL; // negative as int32
                    case 2 -> r.nextInt(16);
                    default -> r.nextInt(1 << 20);
                };
                int old = varintLength(b, i + 1);
                byte[] v = varint(len);
                byte[] head = Arrays.copyOf(b, i + 1);
                byte[] tail = Arrays.copyOfRange(b, Math.min(b.length, i + 1 + old), b.length);
                return concat(head, v, tail);
            }
        }
        return b;
    }

    private static int varintLength(byte[] b, int at) {
        int n = 0;
        while (at + n < b.length && n < 10 && (b[at + n] & 0x80) != 0) {
            n++;
        }
        return n + 1;
    }

    private static byte[] varint(long v) {
        byte[] out = new byte[10];
        int n = 0;
        while ((v & ~0x7FL) != 0) {
            out[n++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        out[n++] = (byte) v;
        return Arrays.copyOf(out, n);
    }

    private static byte[] randomBytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    private static byte[] insert(byte[] b, int pos, byte[] what) {
        return concat(Arrays.copyOf(b, pos), what, Arrays.copyOfRange(b, pos, b.length));
    }

    private static byte[] delete(byte[] b, int pos, int len) {
        int end = Math.min(b.length, pos + len);
        return concat(Arrays.copyOf(b, pos), Arrays.copyOfRange(b, end, b.length));
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    // ------------------------------------------------------------------ structural mutations

    private static final long[] ODD_DIMS = {0, -1, 1, 2, 3, 7, 64, 1L << 31, 1L << 40, Long.MAX_VALUE, -(1L << 40)};

    static OnnxModel mutateModel(OnnxModel m, Random r) {
        OnnxGraph g = m.graph();
        List<OnnxNode> nodes = new ArrayList<>(g.nodes());
        List<OnnxTensor> inits = new ArrayList<>(g.initializers());
        List<String> names = tensorNames(g);
        switch (r.nextInt(11)) {
            case 0 -> {
                if (!nodes.isEmpty()) {
                    nodes.remove(r.nextInt(nodes.size()));
                }
            }
            case 1 -> {
                if (!nodes.isEmpty()) {
                    int i = r.nextInt(nodes.size());
                    List<String> ins = new ArrayList<>(nodes.get(i).inputs());
                    String pick = switch (r.nextInt(3)) {
                        case 0 -> "";
                        case 1 -> "ghost";
                        default -> names.get(r.nextInt(names.size()));
                    };
                    if (ins.isEmpty() || r.nextInt(4) == 0) {
                        ins.add(pick);
                    } else {
                        ins.set(r.nextInt(ins.size()), pick);
                    }
                    nodes.set(i, nodes.get(i).withInputs(ins));
                }
            }
            case 2 -> {
                if (!nodes.isEmpty()) {
                    int i = r.nextInt(nodes.size());
                    OnnxNode n = nodes.get(i);
                    nodes.set(i, new OnnxNode(n.inputs(), r.nextBoolean() ? List.of(names.get(r.nextInt(names.size())))
                            : List.of(), n.name(), n.opType(), n.domain(), n.attributes(), n.docString()));
                }
            }
            case 3 -> {
                if (!nodes.isEmpty()) {
                    int i = r.nextInt(nodes.size());
                    OnnxNode n = nodes.get(i);
                    nodes.set(i, new OnnxNode(n.inputs(), n.outputs(), n.name(), OPS.get(r.nextInt(OPS.size())),
                            r.nextInt(10) == 0 ? "com.example" : n.domain(), n.attributes(), n.docString()));
                }
            }
            case 4 -> {
                if (!nodes.isEmpty()) {
                    int i = r.nextInt(nodes.size());
                    nodes.set(i, nodes.get(i).withAttributes(mutateAttributes(nodes.get(i).attributes(), r)));
                }
            }
            case 5 -> {
                if (!inits.isEmpty()) {
                    int i = r.nextInt(inits.size());
                    inits.set(i, mutateTensor(inits.get(i), r));
                }
            }
            case 6 -> {
                List<ValueInfo> ins = new ArrayList<>(g.inputs());
                if (!ins.isEmpty()) {
                    ValueInfo vi = ins.get(0);
                    List<ValueInfo.Dim> dims = vi.shape() == null ? new ArrayList<>() : new ArrayList<>(vi.shape());
                    switch (r.nextInt(4)) {
                        case 0 -> dims.add(ValueInfo.Dim.of(3));
                        case 1 -> {
                            if (!dims.isEmpty()) {
                                dims.remove(r.nextInt(dims.size()));
                            }
                        }
                        case 2 -> {
                            if (!dims.isEmpty()) {
                                long d = ODD_DIMS[r.nextInt(ODD_DIMS.length)];
                                dims.set(r.nextInt(dims.size()), r.nextBoolean() ? ValueInfo.Dim.param("h")
                                        : d < 0 ? ValueInfo.Dim.unknown() : ValueInfo.Dim.of(d));
                            }
                        }
                        default -> {
                            ins.set(0, new ValueInfo(vi.name(), r.nextInt(17), vi.shape()));
                            g = g.withInputs(ins);
                            return m.withGraph(g.withNodes(nodes).withInitializers(inits));
                        }
                    }
                    ins.set(0, new ValueInfo(vi.name(), vi.elemType(), dims));
                    g = g.withInputs(ins);
                }
            }
            case 7 -> {
                List<ValueInfo> outs = new ArrayList<>(g.outputs());
                String name = r.nextBoolean() ? names.get(r.nextInt(names.size())) : "ghost";
                if (outs.isEmpty() || r.nextBoolean()) {
                    outs.add(ValueInfo.tensor(name, OnnxTensor.FLOAT));
                } else {
                    outs.set(r.nextInt(outs.size()), ValueInfo.tensor(name, OnnxTensor.FLOAT));
                }
                g = g.withOutputs(outs);
            }
            case 8 -> java.util.Collections.shuffle(nodes, r);
            case 9 -> {
                // a Constant node producing an existing or new tensor, with a random tensor value
                String out = r.nextBoolean() ? names.get(r.nextInt(names.size())) : "const" + r.nextInt(100);
                OnnxTensor t = mutateTensor(OnnxTensor.ofLongs("c", new long[]{1, -1}, 2), r);
                nodes.add(r.nextInt(nodes.size() + 1),
                        OnnxNode.of("Constant", "const_node", List.of(), List.of(out), OnnxAttribute.ofTensor("value", t)));
            }
            default -> {
                if (!inits.isEmpty()) {
                    inits.remove(r.nextInt(inits.size()));
                }
            }
        }
        return m.withGraph(g.withNodes(nodes).withInitializers(inits));
    }

    private static List<String> tensorNames(OnnxGraph g) {
        List<String> names = new ArrayList<>();
        g.inputs().forEach(v -> names.add(v.name()));
        g.initializers().forEach(t -> names.add(t.name()));
        g.nodes().forEach(n -> names.addAll(n.outputs()));
        if (names.isEmpty()) {
            names.add("x");
        }
        return names;
    }

    private static List<OnnxAttribute> mutateAttributes(List<OnnxAttribute> attrs, Random r) {
        List<OnnxAttribute> out = new ArrayList<>(attrs);
        String[] known = {"kernel_shape", "pads", "strides", "dilations", "group", "axis", "axes", "epsilon", "alpha",
            "transA", "transB", "auto_pad", "ceil_mode", "count_include_pad", "value", "to", "mode", "training_mode"};
        String name = !out.isEmpty() && r.nextBoolean() ? out.get(r.nextInt(out.size())).name()
                : known[r.nextInt(known.length)];
        out.removeIf(a -> a.name().equals(name));
        switch (r.nextInt(6)) {
            case 0 -> { } // removed
            case 1 -> out.add(OnnxAttribute.ofInt(name, ODD_DIMS[r.nextInt(ODD_DIMS.length)]));
            case 2 -> {
                long[] v = new long[r.nextInt(6)];
                for (int k = 0; k < v.length; k++) {
                    v[k] = r.nextInt(5) == 0 ? ODD_DIMS[r.nextInt(ODD_DIMS.length)] : r.nextInt(5) - 1;
                }
                out.add(OnnxAttribute.ofInts(name, v));
            }
            case 3 -> out.add(OnnxAttribute.ofFloat(name, new float[]{Float.NaN, -1f, 0f, 1e30f}[r.nextInt(4)]));
            case 4 -> out.add(OnnxAttribute.ofString(name, new String[]{"SAME_UPPER", "VALID", "reflect", ""}[r.nextInt(4)]));
            default -> out.add(OnnxAttribute.ofTensor(name, mutateTensor(OnnxTensor.ofFloats("t", new float[]{1f}), r)));
        }
        return out;
    }

    private static OnnxTensor mutateTensor(OnnxTensor t, Random r) {
        OnnxTensor.Builder b = t.toBuilder();
        switch (r.nextInt(6)) {
            case 0 -> {
                long[] dims = t.dims();
                if (dims.length > 0) {
                    dims[r.nextInt(dims.length)] = ODD_DIMS[r.nextInt(ODD_DIMS.length)];
                }
                b.dims(dims);
            }
            case 1 -> {
                long[] dims = Arrays.copyOf(t.dims(), Math.max(0, t.rank() + r.nextInt(3) - 1));
                if (dims.length > t.rank()) {
                    dims[dims.length - 1] = 1;
                }
                b.dims(dims);
            }
            case 2 -> b.dataType(r.nextInt(18));
            case 3 -> {
                ByteString raw = t.rawData();
                b.rawData(raw.substring(0, r.nextInt(raw.size() + 1)));
            }
            case 4 -> {
                // NaN / Inf / huge values in the data
                float[] v = new float[]{Float.NaN, Float.POSITIVE_INFINITY, -Float.MAX_VALUE, 0f};
                b.dataType(OnnxTensor.FLOAT).rawData(ByteString.EMPTY).floatData(v).dims(4);
            }
            default -> b.dataLocation(OnnxTensor.LOCATION_EXTERNAL);
        }
        return b.build();
    }
}
