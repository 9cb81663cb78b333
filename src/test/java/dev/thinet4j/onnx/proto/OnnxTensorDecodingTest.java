package dev.thinet4j.onnx.proto;

import com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link OnnxTensor#toFloatArray()} and {@link OnnxTensor#toLongArray()} over every storage form. */
class OnnxTensorDecodingTest {

    private static final float[] VALUES = {1.5f, -2.25f, 0f, -0f, 3e-8f, Float.MAX_VALUE};

    private static ByteString le(int capacity, java.util.function.Consumer<ByteBuffer> fill) {
        ByteBuffer b = ByteBuffer.allocate(capacity).order(ByteOrder.LITTLE_ENDIAN);
        fill.accept(b);
        return ByteString.copyFrom(b.array());
    }

    @Test
    void floatDataAndRawDataDecodeToTheSameFloats() {
        OnnxTensor raw = OnnxTensor.ofFloats("w", VALUES, 2, 3);
        OnnxTensor typed = OnnxTensor.builder().name("w").dataType(OnnxTensor.FLOAT).dims(2, 3).floatData(VALUES).build();
        assertArrayEquals(VALUES, raw.toFloatArray());
        assertArrayEquals(VALUES, typed.toFloatArray());
        assertNotEquals(raw, typed, "different storage, different records");
        // raw_data is little-endian IEEE 754
        assertEquals(le(24, b -> b.asFloatBuffer().put(VALUES)), raw.rawData());
        assertEquals(0x00, raw.rawData().byteAt(0)); // 1.5f = 0x3FC00000, low byte first
        assertEquals((byte) 0x3F, raw.rawData().byteAt(3));
        // and both survive the codec
        for (OnnxTensor t : List.of(raw, typed)) {
            OnnxGraph g = new OnnxGraph("g", null, List.of(t), null, null, null, null);
            OnnxTensor back = OnnxProtoReader.read(OnnxProtoWriter.write(OnnxModel.of(8, 13, g))).graph().initializers().get(0);
            assertArrayEquals(VALUES, back.toFloatArray());
        }
    }

    @Test
    void int64RawAndTypedDecodeAlike() {
        long[] shape = {1, -1, 7, Long.MAX_VALUE, Long.MIN_VALUE};
        OnnxTensor raw = OnnxTensor.ofLongs("shape", shape, 5);
        OnnxTensor typed = OnnxTensor.builder().name("shape").dataType(OnnxTensor.INT64).dims(5).int64Data(shape).build();
        assertArrayEquals(shape, raw.toLongArray());
        assertArrayEquals(shape, typed.toLongArray());
        assertArrayEquals(new float[] {1, -1, 7, Long.MAX_VALUE, Long.MIN_VALUE}, raw.toFloatArray());
        assertArrayEquals(raw.toFloatArray(), typed.toFloatArray());
        assertEquals(40, raw.rawData().size());
    }

    @Test
    void int32RawAndTypedDecodeAlike() {
        int[] v = {3, -4, Integer.MIN_VALUE};
        OnnxTensor raw = OnnxTensor.builder().name("i").dataType(OnnxTensor.INT32).dims(3)
                .rawData(le(12, b -> b.asIntBuffer().put(v))).build();
        OnnxTensor typed = OnnxTensor.builder().name("i").dataType(OnnxTensor.INT32).dims(3).int32Data(v).build();
        long[] expected = {3, -4, Integer.MIN_VALUE};
        assertArrayEquals(expected, raw.toLongArray());
        assertArrayEquals(expected, typed.toLongArray());
        assertArrayEquals(new float[] {3, -4, Integer.MIN_VALUE}, raw.toFloatArray());
        assertArrayEquals(raw.toFloatArray(), typed.toFloatArray());
    }

    @Test
    void doubleRawAndTypedDecodeAsFloats() {
        double[] v = {0.1, -1e300, 2.5};
        OnnxTensor raw = OnnxTensor.builder().name("d").dataType(OnnxTensor.DOUBLE).dims(3)
                .rawData(le(24, b -> b.asDoubleBuffer().put(v))).build();
        OnnxTensor typed = OnnxTensor.builder().name("d").dataType(OnnxTensor.DOUBLE).dims(3).doubleData(v).build();
        float[] expected = {0.1f, Float.NEGATIVE_INFINITY, 2.5f};
        assertArrayEquals(expected, raw.toFloatArray());
        assertArrayEquals(expected, typed.toFloatArray());
    }

    @Test
    void smallIntegerTypesAndBool() {
        OnnxTensor u8 = OnnxTensor.builder().name("u8").dataType(OnnxTensor.UINT8).dims(3).rawData(new byte[] {0, 127, (byte) 255}).build();
        OnnxTensor i8 = OnnxTensor.builder().name("i8").dataType(OnnxTensor.INT8).dims(3).rawData(new byte[] {0, 127, (byte) 255}).build();
        OnnxTensor b = OnnxTensor.builder().name("b").dataType(OnnxTensor.BOOL).dims(2).int32Data(1, 0).build();
        OnnxTensor u16 = OnnxTensor.builder().name("u16").dataType(OnnxTensor.UINT16).dims(1)
                .rawData(new byte[] {(byte) 0xFF, (byte) 0xFF}).build();
        assertArrayEquals(new float[] {0, 127, 255}, u8.toFloatArray());
        assertArrayEquals(new long[] {0, 127, -1}, i8.toLongArray());
        assertArrayEquals(new long[] {1, 0}, b.toLongArray());
        assertArrayEquals(new long[] {65535}, u16.toLongArray());
    }

    @Test
    void float16FromRawAndFromInt32Data() {
        // 1.0 = 0x3C00, -2.0 = 0xC000, 65504 = 0x7BFF, smallest subnormal 2^-24 = 0x0001, +inf = 0x7C00
        int[] bits = {0x3C00, 0xC000, 0x7BFF, 0x0001, 0x7C00};
        float[] expected = {1f, -2f, 65504f, 0x1p-24f, Float.POSITIVE_INFINITY};
        OnnxTensor raw = OnnxTensor.builder().name("h").dataType(OnnxTensor.FLOAT16).dims(5)
                .rawData(le(10, buf -> {
                    for (int v : bits) {
                        buf.putShort((short) v);
                    }
                })).build();
        OnnxTensor typed = OnnxTensor.builder().name("h").dataType(OnnxTensor.FLOAT16).dims(5).int32Data(bits).build();
        assertArrayEquals(expected, raw.toFloatArray());
        assertArrayEquals(expected, typed.toFloatArray());
        assertTrue(Float.isNaN(OnnxTensor.halfToFloat(0x7E00)));
        assertEquals(-0f, OnnxTensor.halfToFloat(0x8000));
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(OnnxTensor.halfToFloat(0x8000)));
    }

    @Test
    void bfloat16IsTheHighHalfOfAFloat() {
        OnnxTensor t = OnnxTensor.builder().name("bf").dataType(OnnxTensor.BFLOAT16).dims(2).int32Data(0x3F80, 0xC040).build();
        assertArrayEquals(new float[] {1f, -3f}, t.toFloatArray());
    }

    @Test
    void scalarsAndEmptyTensors() {
        OnnxTensor scalar = OnnxTensor.ofFloats("s", new float[] {4f});
        assertEquals(0, scalar.rank());
        assertEquals(1, scalar.elementCount());
        assertArrayEquals(new float[] {4f}, scalar.toFloatArray());
        OnnxTensor empty = OnnxTensor.ofFloats("e", new float[0], 0, 3);
        assertArrayEquals(new float[0], empty.toFloatArray());
        OnnxTensor emptyTyped = OnnxTensor.builder().name("e").dataType(OnnxTensor.INT64).dims(2, 0).build();
        assertArrayEquals(new long[0], emptyTyped.toLongArray());
    }

    @Test
    void elementCountMismatchNamesTheTensor() {
        OnnxTensor shortRaw = OnnxTensor.builder().name("conv1.weight").dataType(OnnxTensor.FLOAT).dims(2, 3)
                .rawData(new byte[20]).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, shortRaw::toFloatArray);
        assertTrue(e.getMessage().contains("'conv1.weight'") && e.getMessage().contains("raw_data holds 20 bytes"), e.getMessage());

        OnnxTensor shortTyped = OnnxTensor.builder().name("bias").dataType(OnnxTensor.FLOAT).dims(4).floatData(1, 2, 3).build();
        e = assertThrows(IllegalArgumentException.class, shortTyped::toFloatArray);
        assertTrue(e.getMessage().contains("'bias'") && e.getMessage().contains("float_data holds 3 elements, but the dims need 4"),
                e.getMessage());

        OnnxTensor noData = OnnxTensor.builder().name("nothing").dataType(OnnxTensor.INT64).dims(3).build();
        e = assertThrows(IllegalArgumentException.class, noData::toLongArray);
        assertTrue(e.getMessage().contains("'nothing'"), e.getMessage());
    }

    @Test
    void unsupportedTypesAreRejectedByName() {
        OnnxTensor strings = OnnxTensor.builder().name("labels").dataType(OnnxTensor.STRING).dims(1)
                .stringData(List.of(ByteString.copyFromUtf8("cat"))).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, strings::toFloatArray);
        assertTrue(e.getMessage().contains("'labels'") && e.getMessage().contains("STRING"), e.getMessage());
        OnnxTensor floats = OnnxTensor.ofFloats("w", new float[] {1});
        e = assertThrows(IllegalArgumentException.class, floats::toLongArray);
        assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("FLOAT"), e.getMessage());
        OnnxTensor u64 = OnnxTensor.builder().name("u").dataType(OnnxTensor.UINT64).dims(1).rawData(new byte[8]).build();
        assertThrows(IllegalArgumentException.class, u64::toFloatArray);
    }

    @Test
    void externalDataIsNotDecoded() {
        OnnxTensor ext = OnnxTensor.builder().name("fc.weight").dataType(OnnxTensor.FLOAT).dims(1000, 4096)
                .dataLocation(OnnxTensor.LOCATION_EXTERNAL)
                .externalData(List.of(new StringEntry("location", "weights.bin"), new StringEntry("offset", "0"),
                        new StringEntry("length", "16384000")))
                .build();
        assertTrue(ext.isExternal());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, ext::toFloatArray);
        assertTrue(e.getMessage().contains("'fc.weight'") && e.getMessage().contains("externally")
                && e.getMessage().contains("weights.bin"), e.getMessage());
        assertFalse(OnnxTensor.ofFloats("x", new float[] {1}).isExternal());
    }

    @Test
    void factoriesCheckTheShapeAndCopyTheirInput() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OnnxTensor.ofFloats("w", new float[5], 2, 3));
        assertTrue(e.getMessage().contains("'w'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> OnnxTensor.ofLongs("s", new long[] {1, 2}));

        float[] data = {1, 2};
        long[] dims = {2};
        OnnxTensor t = OnnxTensor.ofFloats("w", data, dims);
        data[0] = 99;
        dims[0] = 7;
        t.dims()[0] = 5;
        assertArrayEquals(new float[] {1, 2}, t.toFloatArray());
        assertArrayEquals(new long[] {2}, t.dims());
    }

    @Test
    void recordsAreImmutable() {
        long[] ints = {1, 2};
        OnnxAttribute a = OnnxAttribute.ofInts("pads", ints);
        ints[0] = 9;
        a.ints()[1] = 9;
        assertArrayEquals(new long[] {1, 2}, a.asInts());
        java.util.ArrayList<String> inputs = new java.util.ArrayList<>(List.of("x"));
        OnnxNode n = OnnxNode.of("Relu", "r", inputs, List.of("y"));
        inputs.add("z");
        assertEquals(List.of("x"), n.inputs());
        assertThrows(UnsupportedOperationException.class, () -> n.inputs().add("q"));
    }
}
