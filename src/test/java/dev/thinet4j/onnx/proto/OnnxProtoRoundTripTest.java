package dev.thinet4j.onnx.proto;

import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Random models survive write then read unchanged. */
class OnnxProtoRoundTripTest {

    @Provide
    Arbitrary<OnnxModel> models() {
        return OnnxArbitraries.models();
    }

    @Provide
    Arbitrary<OnnxTensor> tensors() {
        return OnnxArbitraries.tensors();
    }

    @Property(tries = 300)
    void writeThenReadGivesAnEqualModel(@ForAll("models") OnnxModel model) {
        byte[] bytes = OnnxProtoWriter.write(model);
        OnnxModel back = OnnxProtoReader.read(bytes);
        assertEquals(model, back);
        assertEquals(model.hashCode(), back.hashCode());
    }

    @Property(tries = 100)
    void encodingIsDeterministicAndSizeIsExact(@ForAll("models") OnnxModel model) {
        byte[] bytes = OnnxProtoWriter.write(model);
        assertEquals(bytes.length, OnnxProtoWriter.serializedSize(model));
        assertArrayEquals(bytes, OnnxProtoWriter.write(OnnxProtoReader.read(bytes)));
    }

    @Property(tries = 50)
    void streamsAgreeWithByteArrays(@ForAll("models") OnnxModel model) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        OnnxProtoWriter.write(model, out);
        assertArrayEquals(OnnxProtoWriter.write(model), out.toByteArray());
        assertEquals(model, OnnxProtoReader.read(new ByteArrayInputStream(out.toByteArray())));
    }

    @Property(tries = 200)
    void tensorsSurviveAsInitializersAndAsAttributes(@ForAll("tensors") OnnxTensor tensor) {
        OnnxGraph graph = new OnnxGraph("g",
                java.util.List.of(OnnxNode.of("Constant", "c", java.util.List.of(), java.util.List.of("k"),
                        OnnxAttribute.ofTensor("value", tensor))),
                java.util.List.of(tensor), null, null, null, null);
        OnnxModel back = OnnxProtoReader.read(OnnxProtoWriter.write(OnnxModel.of(8, 13, graph)));
        assertEquals(tensor, back.graph().initializers().get(0));
        assertEquals(tensor, back.graph().nodes().get(0).attributes().get(0).asTensor());
    }
}
