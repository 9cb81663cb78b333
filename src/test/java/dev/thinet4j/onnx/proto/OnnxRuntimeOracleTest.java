package dev.thinet4j.onnx.proto;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ONNX Runtime as an independent oracle: models written by {@link OnnxProtoWriter} load and run
 * in ORT with hand-computed results, and a model serialized by ORT itself (its C++ protobuf
 * encoder) reads back with {@link OnnxProtoReader}.
 *
 * <p>ORT's own tensor class is also called {@code OnnxTensor}; it is always written fully
 * qualified here.
 */
class OnnxRuntimeOracleTest {

    private static final float TOLERANCE = 1e-6f;
    private static OrtEnvironment env;

    @BeforeAll
    static void startOrt() {
        env = OrtEnvironment.getEnvironment();
    }

    @AfterAll
    static void noCloseOfTheSharedEnvironment() {
        // OrtEnvironment is a process-wide singleton; closing it would break other test classes.
        env = null;
    }

    private static OrtSession.SessionOptions options() throws OrtException {
        OrtSession.SessionOptions o = new OrtSession.SessionOptions();
        o.setIntraOpNumThreads(1);
        o.setInterOpNumThreads(1);
        return o;
    }

    private static float[] run(OrtSession session, String inputName, float[] input, long... shape) throws OrtException {
        try (ai.onnxruntime.OnnxTensor x = ai.onnxruntime.OnnxTensor.createTensor(env, FloatBuffer.wrap(input), shape);
             OrtSession.Result result = session.run(Map.of(inputName, x))) {
            ai.onnxruntime.OnnxTensor y = (ai.onnxruntime.OnnxTensor) result.get(0);
            FloatBuffer fb = y.getFloatBuffer();
            float[] out = new float[fb.remaining()];
            fb.get(out);
            return out;
        }
    }

    private static void assertClose(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, () -> "got " + Arrays.toString(actual));
        for (int k = 0; k < expected.length; k++) {
            assertEquals(expected[k], actual[k], TOLERANCE, "element " + k + " of " + Arrays.toString(actual));
        }
    }

    // W is [out=2, in=3]; the Gemm uses it with transB=1.
    private static final float[] W = {1, -1, 2, 0.5f, 3, -2};
    private static final float[] B = {0.25f, 5.5f};
    private static final float[] X = {1, 2, 3, -1, 0, 4, 2, -3, 1, 0, 0, -1};

    /** Y = Relu(0.5 * X W^T + 1.0 * B), X: [batch, 3] with a symbolic batch dimension. */
    static OnnxModel gemmModel() {
        OnnxNode gemm = OnnxNode.of("Gemm", "fc", List.of("X", "W", "B"), List.of("h"),
                OnnxAttribute.ofFloat("alpha", 0.5f), OnnxAttribute.ofFloat("beta", 1.0f), OnnxAttribute.ofInt("transB", 1));
        OnnxNode relu = OnnxNode.of("Relu", "relu", List.of("h"), List.of("Y"));
        OnnxGraph graph = new OnnxGraph("gemm_relu", List.of(gemm, relu),
                List.of(OnnxTensor.ofFloats("W", W, 2, 3), OnnxTensor.ofFloats("B", B, 2)),
                List.of(ValueInfo.tensor("X", OnnxTensor.FLOAT, List.of(ValueInfo.Dim.param("batch"), ValueInfo.Dim.of(3)))),
                List.of(ValueInfo.tensor("Y", OnnxTensor.FLOAT, List.of(ValueInfo.Dim.param("batch"), ValueInfo.Dim.of(2)))),
                null, "");
        return new OnnxModel(8, List.of(OpsetId.onnx(17)), "thinet4j-test", "0", "", 1, "", graph, null);
    }

    @Test
    void gemmReluWrittenByUsRunsInOrt(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("gemm.onnx");
        OnnxProtoWriter.write(gemmModel(), file);
        try (OrtSession.SessionOptions o = options(); OrtSession session = env.createSession(file.toString(), o)) {
            NodeInfo in = session.getInputInfo().get("X");
            TensorInfo info = (TensorInfo) in.getInfo();
            assertArrayEquals(new long[] {-1, 3}, info.getShape());
            assertEquals("batch", info.getDimensionNames()[0]);
            // hand-computed: rows of 0.5 * x.W^T + B, then Relu
            float[] expected = {
                2.75f, 5.75f,   // x = ( 1,  2,  3): 0.5*( 5, 0.5) + B
                3.75f, 1.25f,   // x = (-1,  0,  4): 0.5*( 7, -8.5) + B
                3.75f, 0.5f,    // x = ( 2, -3,  1): 0.5*( 7, -10) + B
                0f, 6.5f        // x = ( 0,  0, -1): 0.5*(-2, 2) + B = (-0.75 -> 0, 6.5)
            };
            assertClose(expected, run(session, "X", X, 4, 3));
            assertClose(Arrays.copyOf(expected, 2), run(session, "X", Arrays.copyOf(X, 3), 1, 3));
        }
    }

    @Test
    void matMulAddConstantReshapeRunsInOrt() throws Exception {
        float[] wt = new float[6]; // W^T: [3, 2]
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 3; j++) {
                wt[j * 2 + i] = W[i * 3 + j];
            }
        }
        List<OnnxNode> nodes = List.of(
                OnnxNode.of("Constant", "bias", List.of(), List.of("B"), OnnxAttribute.ofTensor("value", OnnxTensor.ofFloats("b", B, 2))),
                OnnxNode.of("MatMul", "mm", List.of("X", "Wt"), List.of("m")),
                OnnxNode.of("Add", "add", List.of("m", "B"), List.of("a")),
                OnnxNode.of("Relu", "relu", List.of("a"), List.of("r")),
                OnnxNode.of("Reshape", "flatten", List.of("r", "shape"), List.of("Y")));
        OnnxGraph graph = new OnnxGraph("mm", nodes,
                List.of(OnnxTensor.ofFloats("Wt", wt, 3, 2), OnnxTensor.ofLongs("shape", new long[] {-1}, 1)),
                List.of(ValueInfo.tensor("X", OnnxTensor.FLOAT, List.of(ValueInfo.Dim.param("batch"), ValueInfo.Dim.of(3)))),
                List.of(ValueInfo.tensor("Y", OnnxTensor.FLOAT, List.of(ValueInfo.Dim.param("flat")))), null, "");
        byte[] bytes = OnnxProtoWriter.write(OnnxModel.of(7, 13, graph));
        try (OrtSession.SessionOptions o = options(); OrtSession session = env.createSession(bytes, o)) {
            float[] expected = {
                5.25f, 6.0f,    // ( 5, 0.5) + B
                7.25f, 0f,      // ( 7, -8.5) + B = (7.25, -3 -> 0)
                7.25f, 0f,      // ( 7, -10) + B = (7.25, -4.5 -> 0)
                0f, 7.5f        // (-2, 2) + B = (-1.75 -> 0, 7.5)
            };
            assertClose(expected, run(session, "X", X, 4, 3));
        }
    }

    /** Conv 1x1x3x3 input, 1x1x2x2 kernel, pads 1, strides 2: a 2x2 output. */
    static OnnxModel convModel() {
        OnnxNode conv = OnnxNode.of("Conv", "conv", List.of("X", "W", "B"), List.of("Y"),
                OnnxAttribute.ofInts("kernel_shape", 2, 2), OnnxAttribute.ofInts("pads", 1, 1, 1, 1),
                OnnxAttribute.ofInts("strides", 2, 2), OnnxAttribute.ofInts("dilations", 1, 1),
                OnnxAttribute.ofInt("group", 1));
        OnnxGraph graph = new OnnxGraph("conv", List.of(conv),
                List.of(OnnxTensor.ofFloats("W", new float[] {1, 2, 3, 4}, 1, 1, 2, 2),
                        OnnxTensor.ofFloats("B", new float[] {0.5f}, 1)),
                List.of(ValueInfo.tensor("X", OnnxTensor.FLOAT, 1, 1, 3, 3)),
                List.of(ValueInfo.tensor("Y", OnnxTensor.FLOAT, 1, 1, 2, 2)), null, "");
        return OnnxModel.of(8, 13, graph);
    }

    @Test
    void convWithIntsAttributesRunsInOrt() throws Exception {
        byte[] bytes = OnnxProtoWriter.write(convModel());
        try (OrtSession.SessionOptions o = options(); OrtSession session = env.createSession(bytes, o)) {
            // X = 1..9 in a 3x3; zero-padded to 5x5; 2x2 windows at stride 2; kernel [[1,2],[3,4]]; bias 0.5
            //   y00 = 4*1                    + 0.5 =  4.5
            //   y01 = 3*2 + 4*3              + 0.5 = 18.5
            //   y10 = 2*4 + 4*7              + 0.5 = 36.5
            //   y11 = 1*5 + 2*6 + 3*8 + 4*9  + 0.5 = 77.5
            float[] expected = {4.5f, 18.5f, 36.5f, 77.5f};
            assertClose(expected, run(session, "X", new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, 1, 3, 3));
        }
    }

    @Test
    void aModelSerializedByOrtReadsBack(@TempDir Path dir) throws Exception {
        // ORT re-serializes the loaded model with its own (C++) protobuf encoder.
        Path saved = dir.resolve("ort-saved.onnx");
        try (OrtSession.SessionOptions o = options()) {
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
            o.setOptimizedModelFilePath(saved.toString());
            try (OrtSession session = env.createSession(OnnxProtoWriter.write(convModel()), o)) {
                assertEquals(1, session.getNumOutputs());
                assertTrue(Files.size(saved) > 0);
            }
        }
        OnnxModel back = OnnxProtoReader.read(saved);
        OnnxModel original = convModel();
        assertEquals(original.irVersion(), back.irVersion());
        assertEquals(13, back.opsetVersion("").orElseThrow());
        OnnxNode conv = back.graph().nodes().stream().filter(n -> n.opType().equals("Conv")).findFirst().orElseThrow();
        assertEquals(List.of("X", "W", "B"), conv.inputs());
        assertArrayEquals(new long[] {2, 2}, conv.attribute("kernel_shape").orElseThrow().asInts());
        assertArrayEquals(new long[] {1, 1, 1, 1}, conv.attribute("pads").orElseThrow().asInts());
        assertArrayEquals(new long[] {2, 2}, conv.attribute("strides").orElseThrow().asInts());
        assertEquals(1, conv.attribute("group").orElseThrow().asInt());
        OnnxTensor w = back.graph().initializer("W").orElseThrow();
        assertArrayEquals(new long[] {1, 1, 2, 2}, w.dims());
        assertArrayEquals(new float[] {1, 2, 3, 4}, w.toFloatArray());
        assertArrayEquals(new float[] {0.5f}, back.graph().initializer("B").orElseThrow().toFloatArray());
        assertEquals(original.graph().inputs(), back.graph().inputs());
        assertEquals(original.graph().outputs(), back.graph().outputs());
        // and what we read runs again after we write it back
        try (OrtSession.SessionOptions o = options();
             OrtSession session = env.createSession(OnnxProtoWriter.write(back), o)) {
            assertClose(new float[] {4.5f, 18.5f, 36.5f, 77.5f},
                    run(session, "X", new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, 1, 3, 3));
        }
    }

    @Test
    void gemmModelSavedByOrtKeepsTheSymbolicBatch(@TempDir Path dir) throws Exception {
        Path saved = dir.resolve("gemm-saved.onnx");
        try (OrtSession.SessionOptions o = options()) {
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
            o.setOptimizedModelFilePath(saved.toString());
            try (OrtSession session = env.createSession(OnnxProtoWriter.write(gemmModel()), o)) {
                assertEquals(1, session.getNumOutputs());
                assertTrue(Files.exists(saved));
            }
        }
        OnnxModel back = OnnxProtoReader.read(saved);
        assertEquals(List.of(ValueInfo.Dim.param("batch"), ValueInfo.Dim.of(3)), back.graph().inputs().get(0).shape());
        OnnxNode gemm = back.graph().nodes().get(0);
        assertEquals("Gemm", gemm.opType());
        assertEquals(0.5f, gemm.attribute("alpha").orElseThrow().asFloat());
        assertEquals(1, gemm.attribute("transB").orElseThrow().asInt());
        assertArrayEquals(W, back.graph().initializer("W").orElseThrow().toFloatArray());
    }
}
