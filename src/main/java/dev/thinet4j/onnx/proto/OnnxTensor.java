package dev.thinet4j.onnx.proto;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * An immutable tensor value: ONNX {@code TensorProto}, used for graph initializers and for
 * tensor-valued node attributes ({@code Constant.value}, ...).
 *
 * <pre>
 * TensorProto              field  wire type
 *   dims                     1    repeated int64   (written unpacked; read packed or not)
 *   data_type                2    int32            (codes below)
 *   segment                  3    -                (skipped)
 *   float_data               4    repeated float   (packed)
 *   int32_data               5    repeated int32   (packed; also INT8/UINT8/INT16/UINT16/BOOL/FLOAT16 bits)
 *   string_data              6    repeated bytes
 *   int64_data               7    repeated int64   (packed)
 *   name                     8    string
 *   raw_data                 9    bytes            (little-endian, fixed element width)
 *   double_data             10    repeated double  (packed)
 *   uint64_data             11    -                (skipped)
 *   doc_string              12    string
 *   external_data           13    repeated StringStringEntryProto (key 1, value 2)
 *   data_location           14    enum: 0 DEFAULT, 1 EXTERNAL
 * </pre>
 *
 * <p>Data-type codes ({@code TensorProto.DataType}): {@link #FLOAT}=1, {@link #UINT8}=2,
 * {@link #INT8}=3, {@link #UINT16}=4, {@link #INT16}=5, {@link #INT32}=6, {@link #INT64}=7,
 * {@link #STRING}=8, {@link #BOOL}=9, {@link #FLOAT16}=10, {@link #DOUBLE}=11, {@link #UINT32}=12,
 * {@link #UINT64}=13, {@link #COMPLEX64}=14, {@link #COMPLEX128}=15, {@link #BFLOAT16}=16.
 *
 * <p>Every field is kept exactly as read, so writing a read tensor reproduces it. The array
 * accessors return copies; {@link #rawData()} is an immutable {@link ByteString}. Decoding into
 * Java arrays is done by {@link #toFloatArray()} and {@link #toLongArray()}, which check the
 * element count against the product of {@link #dims()}.
 *
 * <p>Instances are made by {@link #ofFloats}, {@link #ofLongs} or {@link #builder()}.
 */
public final class OnnxTensor {

    /** {@code TensorProto.DataType.UNDEFINED}. */
    public static final int UNDEFINED = 0;
    /** {@code TensorProto.DataType.FLOAT}: 32-bit IEEE float. */
    public static final int FLOAT = 1;
    /** {@code TensorProto.DataType.UINT8}. */
    public static final int UINT8 = 2;
    /** {@code TensorProto.DataType.INT8}. */
    public static final int INT8 = 3;
    /** {@code TensorProto.DataType.UINT16}. */
    public static final int UINT16 = 4;
    /** {@code TensorProto.DataType.INT16}. */
    public static final int INT16 = 5;
    /** {@code TensorProto.DataType.INT32}. */
    public static final int INT32 = 6;
    /** {@code TensorProto.DataType.INT64}. */
    public static final int INT64 = 7;
    /** {@code TensorProto.DataType.STRING}. */
    public static final int STRING = 8;
    /** {@code TensorProto.DataType.BOOL}. */
    public static final int BOOL = 9;
    /** {@code TensorProto.DataType.FLOAT16}: IEEE half precision. */
    public static final int FLOAT16 = 10;
    /** {@code TensorProto.DataType.DOUBLE}. */
    public static final int DOUBLE = 11;
    /** {@code TensorProto.DataType.UINT32}. */
    public static final int UINT32 = 12;
    /** {@code TensorProto.DataType.UINT64}. */
    public static final int UINT64 = 13;
    /** {@code TensorProto.DataType.COMPLEX64}. */
    public static final int COMPLEX64 = 14;
    /** {@code TensorProto.DataType.COMPLEX128}. */
    public static final int COMPLEX128 = 15;
    /** {@code TensorProto.DataType.BFLOAT16}. */
    public static final int BFLOAT16 = 16;

    /** {@code TensorProto.DataLocation.DEFAULT}: the data is in this message. */
    public static final int LOCATION_DEFAULT = 0;
    /** {@code TensorProto.DataLocation.EXTERNAL}: the data is in a file named by {@code external_data}. */
    public static final int LOCATION_EXTERNAL = 1;

    private static final String[] TYPE_NAMES = {
        "UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING",
        "BOOL", "FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16"
    };

    private static final long[] NO_LONGS = {};
    private static final int[] NO_INTS = {};
    private static final float[] NO_FLOATS = {};
    private static final double[] NO_DOUBLES = {};

    private final String name;
    private final int dataType;
    private final long[] dims;
    private final ByteString rawData;
    private final float[] floatData;
    private final int[] int32Data;
    private final long[] int64Data;
    private final double[] doubleData;
    private final List<ByteString> stringData;
    private final int dataLocation;
    private final List<StringEntry> externalData;
    private final String docString;

    /** Takes ownership of the arrays: callers pass fresh or already-copied arrays only. */
    OnnxTensor(String name, int dataType, long[] dims, ByteString rawData, float[] floatData,
               int[] int32Data, long[] int64Data, double[] doubleData, List<ByteString> stringData,
               int dataLocation, List<StringEntry> externalData, String docString) {
        this.name = name == null ? "" : name;
        this.dataType = dataType;
        this.dims = dims == null ? NO_LONGS : dims;
        this.rawData = rawData == null ? ByteString.EMPTY : rawData;
        this.floatData = floatData == null ? NO_FLOATS : floatData;
        this.int32Data = int32Data == null ? NO_INTS : int32Data;
        this.int64Data = int64Data == null ? NO_LONGS : int64Data;
        this.doubleData = doubleData == null ? NO_DOUBLES : doubleData;
        this.stringData = stringData == null ? List.of() : List.copyOf(stringData);
        this.dataLocation = dataLocation;
        this.externalData = externalData == null ? List.of() : List.copyOf(externalData);
        this.docString = docString == null ? "" : docString;
    }

    // ------------------------------------------------------------------ factories

    /**
     * A FLOAT tensor whose data is stored in {@code raw_data}, little-endian, as PyTorch writes
     * initializers.
     *
     * @param name the tensor name
     * @param data the elements in row-major order (copied)
     * @param dims the shape; none for a scalar
     * @return the tensor
     * @throws IllegalArgumentException when {@code data.length} is not the product of {@code dims}
     */
    public static OnnxTensor ofFloats(String name, float[] data, long... dims) {
        checkCount(name, data.length, dims);
        ByteBuffer buf = ByteBuffer.allocate(Math.multiplyExact(data.length, 4)).order(ByteOrder.LITTLE_ENDIAN);
        buf.asFloatBuffer().put(data);
        return new OnnxTensor(name, FLOAT, dims.clone(), UnsafeByteOperations.unsafeWrap(buf.array()),
                null, null, null, null, null, LOCATION_DEFAULT, null, null);
    }

    /**
     * An INT64 tensor whose data is stored in {@code raw_data}, little-endian (e.g. a
     * {@code Reshape} shape).
     *
     * @param name the tensor name
     * @param data the elements in row-major order (copied)
     * @param dims the shape; none for a scalar
     * @return the tensor
     * @throws IllegalArgumentException when {@code data.length} is not the product of {@code dims}
     */
    public static OnnxTensor ofLongs(String name, long[] data, long... dims) {
        checkCount(name, data.length, dims);
        ByteBuffer buf = ByteBuffer.allocate(Math.multiplyExact(data.length, 8)).order(ByteOrder.LITTLE_ENDIAN);
        buf.asLongBuffer().put(data);
        return new OnnxTensor(name, INT64, dims.clone(), UnsafeByteOperations.unsafeWrap(buf.array()),
                null, null, null, null, null, LOCATION_DEFAULT, null, null);
    }

    /** @return a builder for tensors in any storage form */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder initialised with every field of this tensor */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.name = name;
        b.dataType = dataType;
        b.dims = dims.clone();
        b.rawData = rawData;
        b.floatData = floatData.clone();
        b.int32Data = int32Data.clone();
        b.int64Data = int64Data.clone();
        b.doubleData = doubleData.clone();
        b.stringData = new ArrayList<>(stringData);
        b.dataLocation = dataLocation;
        b.externalData = new ArrayList<>(externalData);
        b.docString = docString;
        return b;
    }

    /**
     * @param newName the new name
     * @return this tensor under another name (the data is shared; it is immutable)
     */
    public OnnxTensor withName(String newName) {
        return new OnnxTensor(newName, dataType, dims, rawData, floatData, int32Data, int64Data,
                doubleData, stringData, dataLocation, externalData, docString);
    }

    // ------------------------------------------------------------------ accessors

    /** @return the tensor name ({@code TensorProto.name}, field 8), {@code ""} if unset */
    public String name() {
        return name;
    }

    /** @return the data-type code ({@code TensorProto.data_type}, field 2) */
    public int dataType() {
        return dataType;
    }

    /** @return a copy of the shape ({@code TensorProto.dims}, field 1); empty for a scalar */
    public long[] dims() {
        return dims.clone();
    }

    /** @return the number of dimensions */
    public int rank() {
        return dims.length;
    }

    /**
     * @return the product of the dimensions (1 for a scalar)
     * @throws ArithmeticException when it overflows a {@code long}
     */
    public long elementCount() {
        long n = 1;
        for (long d : dims) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** @return the little-endian bytes ({@code raw_data}, field 9), empty if unset */
    public ByteString rawData() {
        return rawData;
    }

    /** @return a copy of {@code float_data} (field 4) */
    public float[] floatData() {
        return floatData.clone();
    }

    /** @return a copy of {@code int32_data} (field 5) */
    public int[] int32Data() {
        return int32Data.clone();
    }

    /** @return a copy of {@code int64_data} (field 7) */
    public long[] int64Data() {
        return int64Data.clone();
    }

    /** @return a copy of {@code double_data} (field 10) */
    public double[] doubleData() {
        return doubleData.clone();
    }

    /** @return {@code string_data} (field 6), unmodifiable */
    public List<ByteString> stringData() {
        return stringData;
    }

    /** @return {@code data_location} (field 14): {@link #LOCATION_DEFAULT} or {@link #LOCATION_EXTERNAL} */
    public int dataLocation() {
        return dataLocation;
    }

    /** @return {@code external_data} (field 13): {@code location}, {@code offset}, {@code length}, ... */
    public List<StringEntry> externalData() {
        return externalData;
    }

    /** @return {@code doc_string} (field 12), {@code ""} if unset */
    public String docString() {
        return docString;
    }

    // package-private views without copying, for the writer
    long[] dimsRef() {
        return dims;
    }

    float[] floatDataRef() {
        return floatData;
    }

    int[] int32DataRef() {
        return int32Data;
    }

    long[] int64DataRef() {
        return int64Data;
    }

    double[] doubleDataRef() {
        return doubleData;
    }

    /** @return whether the data lives in an external file ({@code data_location == EXTERNAL}) */
    public boolean isExternal() {
        return dataLocation == LOCATION_EXTERNAL;
    }

    // ------------------------------------------------------------------ decoding

    /**
     * Decodes the elements as floats, in row-major order.
     *
     * <p>Reads {@code raw_data} when present, otherwise the typed field for the data type:
     * FLOAT from {@code float_data}, DOUBLE from {@code double_data}, INT64 from
     * {@code int64_data}, INT32/INT16/UINT16/INT8/UINT8/BOOL from {@code int32_data}, FLOAT16 and
     * BFLOAT16 from the low 16 bits of {@code int32_data}. Wider types are narrowed as a Java
     * cast would.
     *
     * @return a fresh array of {@link #elementCount()} floats
     * @throws IllegalArgumentException naming the tensor when the data is external, the type is
     *                                  not numeric (STRING, COMPLEX*, UINT32, UINT64, UNDEFINED),
     *                                  or the number of stored elements differs from the product
     *                                  of the dimensions
     */
    public float[] toFloatArray() {
        checkDecodable();
        switch (dataType) {
            case FLOAT, DOUBLE, INT64, INT32, INT16, UINT16, INT8, UINT8, BOOL, FLOAT16, BFLOAT16 -> { }
            default -> throw unsupported("toFloatArray");
        }
        int n = expectedCount();
        if (!rawData.isEmpty()) {
            int width = rawWidth();
            checkRawLength(n, width);
            ByteBuffer buf = rawData.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            float[] out = new float[n];
            switch (dataType) {
                case FLOAT -> buf.asFloatBuffer().get(out);
                case DOUBLE -> {
                    for (int k = 0; k < n; k++) {
                        out[k] = (float) buf.getDouble();
                    }
                }
                case INT64 -> {
                    for (int k = 0; k < n; k++) {
                        out[k] = buf.getLong();
                    }
                }
                case INT32 -> {
                    for (int k = 0; k < n; k++) {
                        out[k] = buf.getInt();
                    }
                }
                case INT16 -> {
                    for (int k = 0; k < n; k++) {
                        out[k] = buf.getShort();
                    }
                }
                case UINT16 -> {
                    for (int k = 0; k < n; k++) {
                        out[k] = buf.getShort() & 0xFFFF;
                    }
                }
                case INT8 -> {
                    for (int k = 0; k < n; k++) {
                        out[k] = buf.get();
                    }
                }
                case UINT8, BOOL -> {
                    for (int k = 0; k < n; k++) {
                        out[k] = buf.get() & 0xFF;
                    }
                }
                case FLOAT16 -> {
                    for (int k = 0; k < n; k++) {
                        out[k] = halfToFloat(buf.getShort() & 0xFFFF);
                    }
                }
                case BFLOAT16 -> {
                    for (int k = 0; k < n; k++) {
                        out[k] = Float.intBitsToFloat((buf.getShort() & 0xFFFF) << 16);
                    }
                }
                default -> throw unsupported("toFloatArray");
            }
            return out;
        }
        switch (dataType) {
            case FLOAT -> {
                checkTypedLength(n, floatData.length, "float_data");
                return floatData.clone();
            }
            case DOUBLE -> {
                checkTypedLength(n, doubleData.length, "double_data");
                float[] out = new float[n];
                for (int k = 0; k < n; k++) {
                    out[k] = (float) doubleData[k];
                }
                return out;
            }
            case INT64 -> {
                checkTypedLength(n, int64Data.length, "int64_data");
                float[] out = new float[n];
                for (int k = 0; k < n; k++) {
                    out[k] = int64Data[k];
                }
                return out;
            }
            case INT32, INT16, UINT16, INT8, UINT8, BOOL -> {
                checkTypedLength(n, int32Data.length, "int32_data");
                float[] out = new float[n];
                for (int k = 0; k < n; k++) {
                    out[k] = int32Data[k];
                }
                return out;
            }
            case FLOAT16 -> {
                checkTypedLength(n, int32Data.length, "int32_data");
                float[] out = new float[n];
                for (int k = 0; k < n; k++) {
                    out[k] = halfToFloat(int32Data[k] & 0xFFFF);
                }
                return out;
            }
            case BFLOAT16 -> {
                checkTypedLength(n, int32Data.length, "int32_data");
                float[] out = new float[n];
                for (int k = 0; k < n; k++) {
                    out[k] = Float.intBitsToFloat((int32Data[k] & 0xFFFF) << 16);
                }
                return out;
            }
            default -> throw unsupported("toFloatArray");
        }
    }

    /**
     * Decodes the elements of an integer tensor (typically an INT64 shape, axes or pads tensor)
     * as longs, in row-major order: INT64 from {@code raw_data} or {@code int64_data};
     * INT32/INT16/UINT16/INT8/UINT8/BOOL from {@code raw_data} or {@code int32_data}.
     *
     * @return a fresh array of {@link #elementCount()} longs
     * @throws IllegalArgumentException naming the tensor when the data is external, the type is
     *                                  not one of those integer types, or the number of stored
     *                                  elements differs from the product of the dimensions
     */
    public long[] toLongArray() {
        checkDecodable();
        switch (dataType) {
            case INT64, INT32, INT16, UINT16, INT8, UINT8, BOOL -> { }
            default -> throw unsupported("toLongArray");
        }
        int n = expectedCount();
        if (!rawData.isEmpty()) {
            ByteBuffer buf = rawData.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            long[] out = new long[n];
            switch (dataType) {
                case INT64 -> {
                    checkRawLength(n, 8);
                    buf.asLongBuffer().get(out);
                }
                case INT32 -> {
                    checkRawLength(n, 4);
                    for (int k = 0; k < n; k++) {
                        out[k] = buf.getInt();
                    }
                }
                case INT16 -> {
                    checkRawLength(n, 2);
                    for (int k = 0; k < n; k++) {
                        out[k] = buf.getShort();
                    }
                }
                case UINT16 -> {
                    checkRawLength(n, 2);
                    for (int k = 0; k < n; k++) {
                        out[k] = buf.getShort() & 0xFFFF;
                    }
                }
                case INT8 -> {
                    checkRawLength(n, 1);
                    for (int k = 0; k < n; k++) {
                        out[k] = buf.get();
                    }
                }
                case UINT8, BOOL -> {
                    checkRawLength(n, 1);
                    for (int k = 0; k < n; k++) {
                        out[k] = buf.get() & 0xFF;
                    }
                }
                default -> throw unsupported("toLongArray");
            }
            return out;
        }
        switch (dataType) {
            case INT64 -> {
                checkTypedLength(n, int64Data.length, "int64_data");
                return int64Data.clone();
            }
            case INT32, INT16, UINT16, INT8, UINT8, BOOL -> {
                checkTypedLength(n, int32Data.length, "int32_data");
                long[] out = new long[n];
                for (int k = 0; k < n; k++) {
                    out[k] = int32Data[k];
                }
                return out;
            }
            default -> throw unsupported("toLongArray");
        }
    }

    /**
     * @param dataType a {@code TensorProto.DataType} code
     * @return its name ({@code "FLOAT"}, ...), or {@code "type#<code>"} for an unknown code
     */
    public static String dataTypeName(int dataType) {
        return dataType >= 0 && dataType < TYPE_NAMES.length ? TYPE_NAMES[dataType] : "type#" + dataType;
    }

    /**
     * @param dataType a {@code TensorProto.DataType} code
     * @return the width of one element in {@code raw_data}, or -1 for STRING/UNDEFINED/unknown
     */
    public static int rawElementSize(int dataType) {
        return switch (dataType) {
            case UINT8, INT8, BOOL -> 1;
            case UINT16, INT16, FLOAT16, BFLOAT16 -> 2;
            case FLOAT, INT32, UINT32 -> 4;
            case INT64, DOUBLE, UINT64, COMPLEX64 -> 8;
            case COMPLEX128 -> 16;
            default -> -1;
        };
    }

    /** Converts IEEE 754 half-precision bits (low 16 bits of {@code bits}) to a float. */
    static float halfToFloat(int bits) {
        int sign = (bits >>> 15) & 1;
        int exponent = (bits >>> 10) & 0x1F;
        int mantissa = bits & 0x3FF;
        if (exponent == 0) {
            float magnitude = mantissa * 0x1p-24f; // zero or subnormal: mantissa * 2^-24
            return sign == 0 ? magnitude : -magnitude;
        }
        int floatBits;
        if (exponent == 0x1F) {
            floatBits = 0x7F800000 | (mantissa << 13); // infinity or NaN (payload kept)
        } else {
            floatBits = ((exponent - 15 + 127) << 23) | (mantissa << 13);
        }
        return Float.intBitsToFloat((sign << 31) | floatBits);
    }

    private String describe() {
        return "tensor '" + name + "' (" + dataTypeName(dataType) + ", dims " + Arrays.toString(dims) + ")";
    }

    private void checkDecodable() {
        if (isExternal()) {
            String location = externalData.stream().filter(e -> e.key().equals("location"))
                    .map(StringEntry::value).findFirst().orElse("?");
            throw new IllegalArgumentException(describe() + " stores its data externally (location="
                    + location + "); load the external data first");
        }
    }

    private int expectedCount() {
        long n;
        try {
            n = elementCount();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(describe() + " has more than 2^63 elements", e);
        }
        if (n < 0) {
            throw new IllegalArgumentException(describe() + " has a negative dimension");
        }
        if (n > Integer.MAX_VALUE - 8) {
            String bytes = n <= Long.MAX_VALUE / 4 ? (n * 4) + " bytes" : "over 2^63 bytes";
            throw new IllegalArgumentException(describe() + " has " + n + " elements, too many for a Java array"
                    + " (at most " + (Integer.MAX_VALUE - 8) + "; decoding them as float32 would need " + bytes + ")");
        }
        return (int) n;
    }

    private int rawWidth() {
        int width = rawElementSize(dataType);
        if (width < 0) {
            throw unsupported("decode");
        }
        return width;
    }

    private void checkRawLength(int n, int width) {
        if ((long) n * width != rawData.size()) {
            throw new IllegalArgumentException(describe() + ": raw_data holds " + rawData.size()
                    + " bytes, but " + n + " elements of " + width + " bytes need " + ((long) n * width));
        }
    }

    private void checkTypedLength(int n, int stored, String field) {
        if (n != stored) {
            throw new IllegalArgumentException(describe() + ": " + field + " holds " + stored
                    + " elements, but the dims need " + n);
        }
    }

    private IllegalArgumentException unsupported(String what) {
        return new IllegalArgumentException(describe() + ": " + what + " does not support data type "
                + dataTypeName(dataType));
    }

    private static void checkCount(String name, int length, long[] dims) {
        long n = 1;
        for (long d : dims) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor '" + name + "': negative dimension in " + Arrays.toString(dims));
            }
            n = Math.multiplyExact(n, d);
        }
        if (n != length) {
            throw new IllegalArgumentException("tensor '" + name + "': " + length
                    + " elements do not fill dims " + Arrays.toString(dims) + " (" + n + " elements)");
        }
    }

    // ------------------------------------------------------------------ value semantics

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof OnnxTensor t)) {
            return false;
        }
        return dataType == t.dataType && dataLocation == t.dataLocation && name.equals(t.name)
                && Arrays.equals(dims, t.dims) && rawData.equals(t.rawData)
                && Arrays.equals(floatData, t.floatData) && Arrays.equals(int32Data, t.int32Data)
                && Arrays.equals(int64Data, t.int64Data) && Arrays.equals(doubleData, t.doubleData)
                && stringData.equals(t.stringData) && externalData.equals(t.externalData)
                && docString.equals(t.docString);
    }

    @Override
    public int hashCode() {
        int h = Objects.hash(name, dataType, dataLocation, rawData, stringData, externalData, docString);
        h = 31 * h + Arrays.hashCode(dims);
        h = 31 * h + Arrays.hashCode(floatData);
        h = 31 * h + Arrays.hashCode(int32Data);
        h = 31 * h + Arrays.hashCode(int64Data);
        h = 31 * h + Arrays.hashCode(doubleData);
        return h;
    }

    /** @return a short summary: name, type, dims and where the data is, never the data itself */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("OnnxTensor[").append(name).append(' ')
                .append(dataTypeName(dataType)).append(Arrays.toString(dims));
        if (isExternal()) {
            sb.append(" external").append(externalData);
        }
        if (!rawData.isEmpty()) {
            sb.append(" raw_data=").append(rawData.size()).append("B");
        }
        if (floatData.length > 0) {
            sb.append(" float_data=").append(floatData.length);
        }
        if (int32Data.length > 0) {
            sb.append(" int32_data=").append(int32Data.length);
        }
        if (int64Data.length > 0) {
            sb.append(" int64_data=").append(int64Data.length);
        }
        if (doubleData.length > 0) {
            sb.append(" double_data=").append(doubleData.length);
        }
        if (!stringData.isEmpty()) {
            sb.append(" string_data=").append(stringData.size());
        }
        return sb.append(']').toString();
    }

    // ------------------------------------------------------------------ builder

    /**
     * Builds an {@link OnnxTensor} field by field, e.g. one holding {@code float_data} or
     * {@code int64_data} instead of {@code raw_data}, or one pointing to external data. Arrays
     * are copied on {@link #build()}; nothing is validated, so a builder can also produce the
     * malformed tensors real files sometimes contain.
     */
    public static final class Builder {
        private String name = "";
        private int dataType = UNDEFINED;
        private long[] dims = NO_LONGS;
        private ByteString rawData = ByteString.EMPTY;
        private float[] floatData = NO_FLOATS;
        private int[] int32Data = NO_INTS;
        private long[] int64Data = NO_LONGS;
        private double[] doubleData = NO_DOUBLES;
        private List<ByteString> stringData = new ArrayList<>();
        private int dataLocation = LOCATION_DEFAULT;
        private List<StringEntry> externalData = new ArrayList<>();
        private String docString = "";

        private Builder() {
        }

        /**
         * @param v name (field 8)
         * @return this
         */
        public Builder name(String v) {
            name = v;
            return this;
        }

        /**
         * @param v data type code (field 2)
         * @return this
         */
        public Builder dataType(int v) {
            dataType = v;
            return this;
        }

        /**
         * @param v shape (field 1)
         * @return this
         */
        public Builder dims(long... v) {
            dims = v;
            return this;
        }

        /**
         * @param v little-endian element bytes (field 9)
         * @return this
         */
        public Builder rawData(ByteString v) {
            rawData = v;
            return this;
        }

        /**
         * @param v little-endian element bytes (field 9), copied
         * @return this
         */
        public Builder rawData(byte[] v) {
            rawData = ByteString.copyFrom(v);
            return this;
        }

        /**
         * @param v {@code float_data} (field 4)
         * @return this
         */
        public Builder floatData(float... v) {
            floatData = v;
            return this;
        }

        /**
         * @param v {@code int32_data} (field 5)
         * @return this
         */
        public Builder int32Data(int... v) {
            int32Data = v;
            return this;
        }

        /**
         * @param v {@code int64_data} (field 7)
         * @return this
         */
        public Builder int64Data(long... v) {
            int64Data = v;
            return this;
        }

        /**
         * @param v {@code double_data} (field 10)
         * @return this
         */
        public Builder doubleData(double... v) {
            doubleData = v;
            return this;
        }

        /**
         * @param v {@code string_data} (field 6)
         * @return this
         */
        public Builder stringData(List<ByteString> v) {
            stringData = new ArrayList<>(v);
            return this;
        }

        /**
         * @param v {@code data_location} (field 14)
         * @return this
         */
        public Builder dataLocation(int v) {
            dataLocation = v;
            return this;
        }

        /**
         * @param v {@code external_data} (field 13)
         * @return this
         */
        public Builder externalData(List<StringEntry> v) {
            externalData = new ArrayList<>(v);
            return this;
        }

        /**
         * @param v {@code doc_string} (field 12)
         * @return this
         */
        public Builder docString(String v) {
            docString = v;
            return this;
        }

        /** @return the tensor, with copies of the arrays given */
        public OnnxTensor build() {
            return new OnnxTensor(name, dataType, dims == null ? null : dims.clone(), rawData,
                    floatData == null ? null : floatData.clone(), int32Data == null ? null : int32Data.clone(),
                    int64Data == null ? null : int64Data.clone(), doubleData == null ? null : doubleData.clone(),
                    stringData, dataLocation, externalData, docString);
        }
    }
}
