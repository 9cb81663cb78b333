package dev.thinet4j.onnx;

import dev.thinet4j.onnx.proto.OnnxAttribute;
import dev.thinet4j.onnx.proto.OnnxGraph;
import dev.thinet4j.onnx.proto.OnnxModel;
import dev.thinet4j.onnx.proto.OnnxNode;
import dev.thinet4j.onnx.proto.OnnxTensor;
import dev.thinet4j.onnx.proto.OpsetId;
import dev.thinet4j.onnx.proto.ValueInfo;

import java.util.ArrayList;
import java.util.List;

import static dev.thinet4j.onnx.OnnxTestSupport.randomFloats;

/** A small builder for hand-made ONNX models in tests. */
final class OnnxModels {
    private final int opset;
    private final List<OnnxNode> nodes = new ArrayList<>();
    private final List<OnnxTensor> inits = new ArrayList<>();
    private final List<ValueInfo> inputs = new ArrayList<>();
    private final List<ValueInfo> outputs = new ArrayList<>();
    private long irVersion;
    private long seed = 1;

    private OnnxModels(int opset) {
        this.opset = opset;
        this.irVersion = opset <= 11 ? 6 : opset <= 14 ? 7 : 8;
    }

    static OnnxModels opset(int opset) {
        return new OnnxModels(opset);
    }

    OnnxModels ir(long v) {
        irVersion = v;
        return this;
    }

    /** The image input [batch, c, h, w]. */
    OnnxModels input(String name, long c, long h, long w) {
        inputs.add(new ValueInfo(name, OnnxTensor.FLOAT,
                List.of(ValueInfo.Dim.param("N"), ValueInfo.Dim.of(c), ValueInfo.Dim.of(h), ValueInfo.Dim.of(w))));
        return this;
    }

    OnnxModels rawInput(ValueInfo vi) {
        inputs.add(vi);
        return this;
    }

    OnnxModels output(String name) {
        outputs.add(new ValueInfo(name, OnnxTensor.FLOAT, null));
        return this;
    }

    /** A random float initializer (scaled so activations stay moderate). */
    OnnxModels weight(String name, long... dims) {
        int n = 1;
        for (long d : dims) {
            n *= (int) d;
        }
        float scale = (float) (1.0 / Math.sqrt(Math.max(1, n / Math.max(1, dims.length > 0 ? dims[0] : 1))));
        inits.add(OnnxTensor.ofFloats(name, randomFloats(seed++, n, scale), dims));
        return this;
    }

    OnnxModels floats(String name, float[] data, long... dims) {
        inits.add(OnnxTensor.ofFloats(name, data, dims));
        return this;
    }

    OnnxModels longs(String name, long[] data, long... dims) {
        inits.add(OnnxTensor.ofLongs(name, data, dims));
        return this;
    }

    OnnxModels init(OnnxTensor t) {
        inits.add(t);
        return this;
    }

    OnnxModels node(String op, String name, List<String> in, List<String> out, OnnxAttribute... attrs) {
        nodes.add(OnnxNode.of(op, name, in, out, attrs));
        return this;
    }

    OnnxModels node(OnnxNode n) {
        nodes.add(n);
        return this;
    }

    /** A Constant node holding an INT64 tensor. */
    OnnxModels constLongs(String out, long[] data, long... dims) {
        return node("Constant", "", List.of(), List.of(out),
                OnnxAttribute.ofTensor("value", OnnxTensor.ofLongs("", data, dims)));
    }

    /** A Constant node holding a FLOAT tensor. */
    OnnxModels constFloats(String out, float[] data, long... dims) {
        return node("Constant", "", List.of(), List.of(out),
                OnnxAttribute.ofTensor("value", OnnxTensor.ofFloats("", data, dims)));
    }

    /** Lists every initializer as a graph input too (exporters before IR 4 did). */
    OnnxModels initializersAsInputs() {
        for (OnnxTensor t : inits) {
            List<ValueInfo.Dim> dims = new ArrayList<>();
            for (long d : t.dims()) {
                dims.add(ValueInfo.Dim.of(d));
            }
            inputs.add(new ValueInfo(t.name(), t.dataType(), dims));
        }
        return this;
    }

    OnnxModel build() {
        OnnxGraph g = new OnnxGraph("test", nodes, inits, inputs, outputs, List.of(), "");
        return new OnnxModel(irVersion, List.of(OpsetId.onnx(opset)), "test", "", "", 0, "", g, List.of());
    }

    static OnnxAttribute ints(String name, long... v) {
        return OnnxAttribute.ofInts(name, v);
    }

    static OnnxAttribute i(String name, long v) {
        return OnnxAttribute.ofInt(name, v);
    }

    static OnnxAttribute f(String name, float v) {
        return OnnxAttribute.ofFloat(name, v);
    }

    static OnnxAttribute s(String name, String v) {
        return OnnxAttribute.ofString(name, v);
    }
}
