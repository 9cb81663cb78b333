package dev.thinet4j.onnx.proto;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.UnknownFieldSet;
import com.google.protobuf.WireFormat;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Field numbers and encodings, checked against bytes built field by field with protobuf's own
 * {@link CodedOutputStream} and decoded by protobuf's schema-less {@link UnknownFieldSet}.
 */
class OnnxProtoWireFormatTest {

    /** Builds one message by hand. */
    private interface Fields {
        void write(CodedOutputStream out) throws IOException;
    }

    private static ByteString message(Fields fields) {
        try {
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            CodedOutputStream out = CodedOutputStream.newInstance(buf);
            fields.write(out);
            out.flush();
            return ByteString.copyFrom(buf.toByteArray());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static void packedInt64(CodedOutputStream out, int field, long... values) throws IOException {
        int size = 0;
        for (long v : values) {
            size += CodedOutputStream.computeInt64SizeNoTag(v);
        }
        out.writeTag(field, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        out.writeUInt32NoTag(size);
        for (long v : values) {
            out.writeInt64NoTag(v);
        }
    }

    private static void packedFloats(CodedOutputStream out, int field, float... values) throws IOException {
        out.writeTag(field, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        out.writeUInt32NoTag(4 * values.length);
        for (float v : values) {
            out.writeFloatNoTag(v);
        }
    }

    /** A model with one node whose attributes are given, plus unknown fields everywhere. */
    private static byte[] modelWithAttributes(ByteString... attributes) {
        ByteString node = message(out -> {
            out.writeString(1, "x");
            out.writeString(1, ""); // omitted optional input
            out.writeString(2, "y");
            out.writeString(3, "conv0");
            out.writeString(4, "Conv");
            for (ByteString a : attributes) {
                out.writeBytes(5, a);
            }
            out.writeString(8, "overload-field-unknown-to-us");
            out.writeFixed64(99, 0x1234);
        });
        ByteString dimBatch = message(out -> out.writeString(2, "batch"));
        ByteString dim3 = message(out -> out.writeInt64(1, 3));
        ByteString dimNone = message(out -> out.writeString(3, "denotation only"));
        ByteString shape = message(out -> {
            out.writeBytes(1, dimBatch);
            out.writeBytes(1, dim3);
            out.writeBytes(1, dimNone);
        });
        ByteString tensorType = message(out -> {
            out.writeInt32(1, 1);
            out.writeBytes(2, shape);
        });
        ByteString input = message(out -> {
            out.writeString(1, "x");
            out.writeBytes(2, message(t -> {
                t.writeBytes(1, tensorType);
                t.writeString(6, "denotation");
            }));
            out.writeString(3, "doc of x");
        });
        ByteString sequenceOutput = message(out -> {
            out.writeString(1, "seq");
            out.writeBytes(2, message(t -> t.writeBytes(4, message(s -> s.writeBytes(1, tensorType)))));
        });
        ByteString initializer = message(out -> {
            packedInt64(out, 1, 2, 2);          // dims, packed
            out.writeInt32(2, OnnxTensor.FLOAT);
            packedFloats(out, 4, 1, 2, 3, 4);   // float_data
            out.writeString(8, "w");
            out.writeInt64(3 /* segment: skipped */, 7);
        });
        ByteString graph = message(out -> {
            out.writeBytes(1, node);
            out.writeString(2, "main");
            out.writeBytes(5, initializer);
            out.writeBytes(11, input);
            out.writeBytes(12, sequenceOutput);
            out.writeBytes(15, message(s -> s.writeString(1, "sparse initializer: skipped")));
            out.writeTag(50, WireFormat.WIRETYPE_START_GROUP); // a proto2 group, unknown to ONNX
            out.writeInt64(1, 5);
            out.writeTag(50, WireFormat.WIRETYPE_END_GROUP);
        });
        return message(out -> {
            out.writeInt64(1, 8);
            out.writeString(2, "pytorch");
            out.writeString(3, "2.1.0");
            out.writeBytes(7, graph);
            out.writeBytes(8, message(o -> o.writeInt64(2, 17)));
            out.writeBytes(8, message(o -> {
                o.writeString(1, "com.microsoft");
                o.writeInt64(2, 1);
            }));
            out.writeBytes(14, message(e -> {
                e.writeString(1, "k");
                e.writeString(2, "v");
            }));
            out.writeBytes(20, message(t -> t.writeString(1, "training info: skipped")));
            out.writeBytes(25, message(f -> f.writeString(1, "function: skipped")));
            out.writeFixed32(777, 1);
        }).toByteArray();
    }

    @Test
    void packedAndUnpackedAttributeListsReadTheSame() {
        ByteString unpacked = message(out -> {
            out.writeString(1, "pads");
            for (long v : new long[] {1, -1, 300}) {
                out.writeInt64(8, v);
            }
            out.writeEnum(20, OnnxAttribute.Type.INTS.code());
        });
        ByteString packed = message(out -> {
            out.writeString(1, "pads");
            packedInt64(out, 8, 1, -1, 300);
            out.writeEnum(20, OnnxAttribute.Type.INTS.code());
        });
        ByteString mixed = message(out -> {
            out.writeString(1, "pads");
            out.writeInt64(8, 1);
            packedInt64(out, 8, -1, 300); // protobuf concatenates repeated fields in any mix
            out.writeEnum(20, OnnxAttribute.Type.INTS.code());
        });
        ByteString floatsUnpacked = message(out -> {
            out.writeString(1, "scales");
            out.writeFloat(7, 0.5f);
            out.writeFloat(7, 2f);
            out.writeEnum(20, OnnxAttribute.Type.FLOATS.code());
        });
        ByteString floatsPacked = message(out -> {
            out.writeString(1, "scales");
            packedFloats(out, 7, 0.5f, 2f);
            out.writeEnum(20, OnnxAttribute.Type.FLOATS.code());
        });
        OnnxNode node = OnnxProtoReader.read(modelWithAttributes(unpacked, packed, mixed, floatsUnpacked, floatsPacked))
                .graph().nodes().get(0);
        for (int k = 0; k < 3; k++) {
            assertArrayEquals(new long[] {1, -1, 300}, node.attributes().get(k).asInts());
            assertEquals(OnnxAttribute.ofInts("pads", 1, -1, 300), node.attributes().get(k));
        }
        assertEquals(OnnxAttribute.ofFloats("scales", 0.5f, 2f), node.attributes().get(3));
        assertEquals(node.attributes().get(3), node.attributes().get(4));
    }

    @Test
    void unknownFieldsAreSkippedAndKnownOnesKept() {
        byte[] bytes = modelWithAttributes(message(out -> {
            out.writeString(1, "group");
            out.writeInt64(3, 1);
            out.writeEnum(20, OnnxAttribute.Type.INT.code());
            out.writeBytes(22, message(s -> s.writeString(1, "sparse tensor: skipped")));
        }));
        OnnxModel m = OnnxProtoReader.read(bytes);
        assertEquals(8, m.irVersion());
        assertEquals("pytorch", m.producerName());
        assertEquals("2.1.0", m.producerVersion());
        assertEquals(List.of(new OpsetId("", 17), new OpsetId("com.microsoft", 1)), m.opsetImports());
        assertEquals(17, m.opsetVersion("ai.onnx").orElseThrow());
        assertEquals(List.of(new StringEntry("k", "v")), m.metadataProps());

        OnnxGraph g = m.graph();
        assertEquals("main", g.name());
        OnnxNode n = g.nodes().get(0);
        assertEquals(List.of("x", ""), n.inputs());
        assertEquals(List.of("y"), n.outputs());
        assertEquals("conv0", n.name());
        assertEquals("Conv", n.opType());
        assertEquals(1, n.attribute("group").orElseThrow().asInt());

        OnnxTensor w = g.initializer("w").orElseThrow();
        assertArrayEquals(new long[] {2, 2}, w.dims());
        assertArrayEquals(new float[] {1, 2, 3, 4}, w.toFloatArray());

        ValueInfo x = g.inputs().get(0);
        assertEquals(OnnxTensor.FLOAT, x.elemType());
        assertEquals(List.of(ValueInfo.Dim.param("batch"), ValueInfo.Dim.of(3), ValueInfo.Dim.unknown()), x.shape());
        assertArrayEquals(new long[] {-1, 3, -1}, x.shapeValues());

        ValueInfo seq = g.outputs().get(0);
        assertEquals("seq", seq.name());
        assertEquals(0, seq.elemType(), "sequence types are not tensor types");
        assertNull(seq.shape());
    }

    @Test
    void writerUsesTheOnnxFieldNumbersAndEncodings() throws IOException {
        OnnxTensor w = OnnxTensor.ofFloats("w", new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        OnnxTensor typed = OnnxTensor.builder().name("t").dataType(OnnxTensor.FLOAT).dims(2).floatData(7, 8).build();
        OnnxNode conv = new OnnxNode(List.of("x", "w", ""), List.of("y"), "conv0", "Conv", "",
                List.of(OnnxAttribute.ofInts("pads", 0, 1, 0, 1), OnnxAttribute.ofFloat("alpha", 0.5f),
                        OnnxAttribute.ofInt("group", 0), OnnxAttribute.ofString("auto_pad", "NOTSET")),
                "doc");
        OnnxGraph graph = new OnnxGraph("main", List.of(conv), List.of(w, typed),
                List.of(ValueInfo.tensor("x", OnnxTensor.FLOAT, List.of(ValueInfo.Dim.param("N"), ValueInfo.Dim.of(3)))),
                List.of(new ValueInfo("y", OnnxTensor.FLOAT, List.of())), List.of(new ValueInfo("z", 0, null)), "");
        OnnxModel model = new OnnxModel(7, List.of(OpsetId.onnx(13)), "thinet4j", "0.1", "dev.thinet4j", 3, "",
                graph, List.of(new StringEntry("a", "b")));

        UnknownFieldSet m = UnknownFieldSet.parseFrom(OnnxProtoWriter.write(model));
        assertEquals(List.of(7L), m.getField(1).getVarintList());
        assertEquals("thinet4j", m.getField(2).getLengthDelimitedList().get(0).toStringUtf8());
        assertEquals("0.1", m.getField(3).getLengthDelimitedList().get(0).toStringUtf8());
        assertEquals("dev.thinet4j", m.getField(4).getLengthDelimitedList().get(0).toStringUtf8());
        assertEquals(List.of(3L), m.getField(5).getVarintList());
        assertFalse(m.hasField(6), "empty doc_string is not written");
        UnknownFieldSet opset = UnknownFieldSet.parseFrom(m.getField(8).getLengthDelimitedList().get(0));
        assertEquals(List.of(13L), opset.getField(2).getVarintList());
        assertEquals(1, m.getField(14).getLengthDelimitedList().size());

        UnknownFieldSet g = UnknownFieldSet.parseFrom(m.getField(7).getLengthDelimitedList().get(0));
        assertEquals("main", g.getField(2).getLengthDelimitedList().get(0).toStringUtf8());
        assertEquals(2, g.getField(5).getLengthDelimitedList().size());
        assertEquals(1, g.getField(11).getLengthDelimitedList().size());
        assertEquals(1, g.getField(12).getLengthDelimitedList().size());
        assertEquals(1, g.getField(13).getLengthDelimitedList().size());

        UnknownFieldSet node = UnknownFieldSet.parseFrom(g.getField(1).getLengthDelimitedList().get(0));
        assertEquals(List.of("x", "w", ""), node.getField(1).getLengthDelimitedList().stream().map(ByteString::toStringUtf8).toList());
        assertEquals("y", node.getField(2).getLengthDelimitedList().get(0).toStringUtf8());
        assertEquals("conv0", node.getField(3).getLengthDelimitedList().get(0).toStringUtf8());
        assertEquals("Conv", node.getField(4).getLengthDelimitedList().get(0).toStringUtf8());
        assertEquals("doc", node.getField(6).getLengthDelimitedList().get(0).toStringUtf8());
        assertFalse(node.hasField(7), "default domain is not written");

        List<ByteString> attrs = node.getField(5).getLengthDelimitedList();
        UnknownFieldSet pads = UnknownFieldSet.parseFrom(attrs.get(0));
        assertEquals("pads", pads.getField(1).getLengthDelimitedList().get(0).toStringUtf8());
        assertEquals(List.of(0L, 1L, 0L, 1L), pads.getField(8).getVarintList(), "ints are written unpacked (proto2)");
        assertTrue(pads.getField(8).getLengthDelimitedList().isEmpty());
        assertEquals(List.of(7L), pads.getField(20).getVarintList());
        UnknownFieldSet alpha = UnknownFieldSet.parseFrom(attrs.get(1));
        assertEquals(List.of(Float.floatToIntBits(0.5f)), alpha.getField(2).getFixed32List());
        assertEquals(List.of(1L), alpha.getField(20).getVarintList());
        UnknownFieldSet group = UnknownFieldSet.parseFrom(attrs.get(2));
        assertEquals(List.of(0L), group.getField(3).getVarintList(), "an INT attribute's i is written even when 0");
        assertEquals(List.of(2L), group.getField(20).getVarintList());
        UnknownFieldSet autoPad = UnknownFieldSet.parseFrom(attrs.get(3));
        assertEquals("NOTSET", autoPad.getField(4).getLengthDelimitedList().get(0).toStringUtf8());
        assertEquals(List.of(3L), autoPad.getField(20).getVarintList());

        UnknownFieldSet wt = UnknownFieldSet.parseFrom(g.getField(5).getLengthDelimitedList().get(0));
        assertEquals(List.of(2L, 3L), wt.getField(1).getVarintList(), "dims are written unpacked (proto2)");
        assertEquals(List.of(1L), wt.getField(2).getVarintList());
        assertEquals("w", wt.getField(8).getLengthDelimitedList().get(0).toStringUtf8());
        assertEquals(24, wt.getField(9).getLengthDelimitedList().get(0).size());
        UnknownFieldSet tt = UnknownFieldSet.parseFrom(g.getField(5).getLengthDelimitedList().get(1));
        assertEquals(8, tt.getField(4).getLengthDelimitedList().get(0).size(), "float_data is packed");

        UnknownFieldSet x = UnknownFieldSet.parseFrom(g.getField(11).getLengthDelimitedList().get(0));
        assertEquals("x", x.getField(1).getLengthDelimitedList().get(0).toStringUtf8());
        UnknownFieldSet type = UnknownFieldSet.parseFrom(x.getField(2).getLengthDelimitedList().get(0));
        UnknownFieldSet tensorType = UnknownFieldSet.parseFrom(type.getField(1).getLengthDelimitedList().get(0));
        assertEquals(List.of(1L), tensorType.getField(1).getVarintList());
        UnknownFieldSet shape = UnknownFieldSet.parseFrom(tensorType.getField(2).getLengthDelimitedList().get(0));
        List<ByteString> dims = shape.getField(1).getLengthDelimitedList();
        assertEquals("N", UnknownFieldSet.parseFrom(dims.get(0)).getField(2).getLengthDelimitedList().get(0).toStringUtf8());
        assertEquals(List.of(3L), UnknownFieldSet.parseFrom(dims.get(1)).getField(1).getVarintList());

        UnknownFieldSet y = UnknownFieldSet.parseFrom(g.getField(12).getLengthDelimitedList().get(0));
        UnknownFieldSet yType = UnknownFieldSet.parseFrom(
                UnknownFieldSet.parseFrom(y.getField(2).getLengthDelimitedList().get(0)).getField(1).getLengthDelimitedList().get(0));
        assertTrue(yType.hasField(2), "a scalar has an empty shape, not a missing one");
        UnknownFieldSet z = UnknownFieldSet.parseFrom(g.getField(13).getLengthDelimitedList().get(0));
        assertFalse(z.hasField(2), "no type at all when neither elem type nor shape is known");
    }

    @Test
    void attributeGettersCheckTheType() {
        OnnxAttribute k = OnnxAttribute.ofInts("kernel_shape", 3, 3);
        assertArrayEquals(new long[] {3, 3}, k.asInts());
        IllegalStateException e = assertThrows(IllegalStateException.class, k::asInt);
        assertEquals("attribute 'kernel_shape' is INTS, not INT", e.getMessage());
        assertEquals("NOTSET", OnnxAttribute.ofString("auto_pad", "NOTSET").asString());
        assertEquals(List.of("a", "é"), OnnxAttribute.ofStrings("s", "a", "é").asStrings());
        assertEquals(0.25f, OnnxAttribute.ofFloat("alpha", 0.25f).asFloat());
        OnnxTensor t = OnnxTensor.ofFloats("v", new float[] {1});
        assertEquals(t, OnnxAttribute.ofTensor("value", t).asTensor());
        assertEquals(OnnxAttribute.Type.UNDEFINED, OnnxAttribute.Type.fromCode(99));
    }
}
