package dev.thinet4j.onnx.proto;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Decodes an ONNX {@code ModelProto} (a {@code .onnx} file) into {@link OnnxModel} records.
 *
 * <p>Hand-written on top of {@link CodedInputStream}: no generated classes. Only the fields
 * described on the record types are kept; every other field, known to ONNX or not, is skipped,
 * so models exported by {@code torch.onnx.export} (opsets 11-17) or by other producers parse.
 * Repeated numeric fields are accepted both packed and unpacked, as protobuf requires. Tensor
 * bytes are copied out of the input, so the records never alias a caller's array or a mapped
 * file.
 *
 * <p>Files are memory-mapped rather than copied onto the heap; streams are read into an array first.
 * A protobuf, and so an ONNX file without external data, is at most 2 GB.
 *
 * <p>Errors: input that is not a well-formed protobuf, or is one without a graph, an IR
 * version or an opset import, gives an {@link OnnxFormatException} whose message starts with
 * {@code "not an ONNX model: <source>"}; an I/O failure gives an {@link UncheckedIOException}.
 * String fields other than documentation must be valid UTF-8.
 */
public final class OnnxProtoReader {

    private static final int VARINT = 0;
    private static final int I64 = 1;
    private static final int LEN = 2;
    private static final int I32 = 5;

    /** The most bytes read from a stream: a protobuf message is smaller than 2 GB. */
    private static final int MAX_BYTES = Integer.MAX_VALUE - 8;

    /** Subgraphs (If/Loop/Scan bodies) nested deeper than this are rejected, to bound recursion. */
    static final int MAX_GRAPH_DEPTH = 64;

    private OnnxProtoReader() {
    }

    /**
     * Reads a model file.
     *
     * @param file a {@code .onnx} file
     * @return the model
     * @throws OnnxFormatException when the file is not an ONNX model
     * @throws UncheckedIOException when the file cannot be read
     */
    public static OnnxModel read(Path file) {
        String source = file.toString();
        if (!Files.isRegularFile(file)) {
            if (!Files.exists(file)) {
                throw new UncheckedIOException("cannot read ONNX model " + source + ": no such file",
                        new java.nio.file.NoSuchFileException(source));
            }
            try (InputStream in = Files.newInputStream(file)) {
                return decode(CodedInputStream.newInstance(readAll(in, source)), source);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read ONNX model " + source + ": " + e, e);
            }
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size > Integer.MAX_VALUE) {
                throw new OnnxFormatException("not an ONNX model: " + source + ": " + size
                        + " bytes is over the 2 GB limit of a protobuf message"
                        + " (models this large keep their weights in external data files)");
            }
            CodedInputStream in;
            if (size == 0) {
                in = CodedInputStream.newInstance(new byte[0]);
            } else {
                MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, size);
                in = CodedInputStream.newInstance(mapped);
            }
            return decode(in, source);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read ONNX model " + source + ": " + e, e);
        }
    }

    /**
     * Reads a model from bytes. The array is not retained.
     *
     * @param bytes a serialized {@code ModelProto}
     * @return the model
     * @throws OnnxFormatException when the bytes are not an ONNX model
     */
    public static OnnxModel read(byte[] bytes) {
        String source = "byte array of " + bytes.length + " bytes";
        try {
            return decode(CodedInputStream.newInstance(bytes), source);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // cannot happen for an array
        }
    }

    /**
     * Reads a model from a stream, up to its end. The stream is not closed.
     *
     * @param stream a serialized {@code ModelProto}
     * @return the model
     * @throws OnnxFormatException when the bytes are not an ONNX model
     * @throws UncheckedIOException when the stream fails
     */
    public static OnnxModel read(InputStream stream) {
        String source = "input stream";
        try {
            return decode(CodedInputStream.newInstance(readAll(stream, source)), source);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read ONNX model from " + source + ": " + e, e);
        }
    }

    /**
     * Reads a stream to its end, at most 2 GB (a protobuf's limit). Streams are decoded from an array
     * rather than by protobuf's stream decoder, whose bookkeeping goes wrong on corrupt lengths
     * close to 2^31 (it then fails with index errors instead of a parse error).
     */
    private static byte[] readAll(InputStream stream, String source) throws IOException {
        byte[] bytes = stream.readNBytes(MAX_BYTES);
        if (bytes.length == MAX_BYTES && stream.read() >= 0) {
            throw new OnnxFormatException("not an ONNX model: " + source + ": more than " + MAX_BYTES
                    + " bytes, over the 2 GB limit of a protobuf message"
                    + " (models this large keep their weights in external data files)");
        }
        return bytes;
    }

    // ------------------------------------------------------------------ top level

    private static OnnxModel decode(CodedInputStream in, String source) throws IOException {
        in.setSizeLimit(Integer.MAX_VALUE);
        OnnxModel model;
        try {
            model = readModel(in, source);
        } catch (InvalidProtocolBufferException e) {
            throw new OnnxFormatException("not an ONNX model: " + source
                    + ": truncated or corrupt protobuf at byte " + in.getTotalBytesRead()
                    + " (" + e.getMessage() + ")", e);
        } catch (IndexOutOfBoundsException | IllegalArgumentException | IllegalStateException e) {
            // protobuf's decoders can fail this way on corrupt length fields (e.g. a UTF-8 string
            // whose declared length runs past the buffer)
            throw new OnnxFormatException("not an ONNX model: " + source
                    + ": corrupt protobuf at byte " + in.getTotalBytesRead() + " (" + e + ")", e);
        }
        return model;
    }

    private static OnnxModel readModel(CodedInputStream in, String source) throws IOException {
        long irVersion = 0;
        List<OpsetId> opsets = new ArrayList<>();
        String producerName = "";
        String producerVersion = "";
        String domain = "";
        long modelVersion = 0;
        String docString = "";
        OnnxGraph graph = null;
        List<StringEntry> metadata = new ArrayList<>();
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (tag) {
                case 1 << 3 | VARINT -> irVersion = in.readInt64();
                case 2 << 3 | LEN -> producerName = in.readStringRequireUtf8();
                case 3 << 3 | LEN -> producerVersion = in.readStringRequireUtf8();
                case 4 << 3 | LEN -> domain = in.readStringRequireUtf8();
                case 5 << 3 | VARINT -> modelVersion = in.readInt64();
                case 6 << 3 | LEN -> docString = in.readString();
                case 7 << 3 | LEN -> graph = readGraphMessage(in, 0);
                case 8 << 3 | LEN -> opsets.add(readOpsetMessage(in));
                case 14 << 3 | LEN -> metadata.add(readEntryMessage(in));
                default -> skip(in, tag);
            }
        }
        String notModel = "not an ONNX model: " + source + " is a protobuf but not an ONNX ModelProto: ";
        if (graph == null) {
            throw new OnnxFormatException(notModel + "no graph");
        }
        if (irVersion <= 0) {
            throw new OnnxFormatException(notModel + "no ir_version");
        }
        if (opsets.isEmpty()) {
            throw new OnnxFormatException(notModel + "no opset_import");
        }
        return new OnnxModel(irVersion, opsets, producerName, producerVersion, domain, modelVersion,
                docString, graph, metadata);
    }

    // ------------------------------------------------------------------ messages

    private static OnnxGraph readGraphMessage(CodedInputStream in, int depth) throws IOException {
        if (depth > MAX_GRAPH_DEPTH) {
            throw new InvalidProtocolBufferException("subgraphs nested more than " + MAX_GRAPH_DEPTH + " deep");
        }
        int oldLimit = enter(in);
        String name = "";
        String docString = "";
        List<OnnxNode> nodes = new ArrayList<>();
        List<OnnxTensor> initializers = new ArrayList<>();
        List<ValueInfo> inputs = new ArrayList<>();
        List<ValueInfo> outputs = new ArrayList<>();
        List<ValueInfo> valueInfo = new ArrayList<>();
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (tag) {
                case 1 << 3 | LEN -> nodes.add(readNodeMessage(in, depth));
                case 2 << 3 | LEN -> name = in.readStringRequireUtf8();
                case 5 << 3 | LEN -> initializers.add(readTensorMessage(in));
                case 10 << 3 | LEN -> docString = in.readString();
                case 11 << 3 | LEN -> inputs.add(readValueInfoMessage(in));
                case 12 << 3 | LEN -> outputs.add(readValueInfoMessage(in));
                case 13 << 3 | LEN -> valueInfo.add(readValueInfoMessage(in));
                default -> skip(in, tag);
            }
        }
        leave(in, oldLimit);
        return new OnnxGraph(name, nodes, initializers, inputs, outputs, valueInfo, docString);
    }

    private static OnnxNode readNodeMessage(CodedInputStream in, int depth) throws IOException {
        int oldLimit = enter(in);
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        String name = "";
        String opType = "";
        String domain = "";
        String docString = "";
        List<OnnxAttribute> attributes = new ArrayList<>();
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (tag) {
                case 1 << 3 | LEN -> inputs.add(in.readStringRequireUtf8());
                case 2 << 3 | LEN -> outputs.add(in.readStringRequireUtf8());
                case 3 << 3 | LEN -> name = in.readStringRequireUtf8();
                case 4 << 3 | LEN -> opType = in.readStringRequireUtf8();
                case 5 << 3 | LEN -> attributes.add(readAttributeMessage(in, depth));
                case 6 << 3 | LEN -> docString = in.readString();
                case 7 << 3 | LEN -> domain = in.readStringRequireUtf8();
                default -> skip(in, tag);
            }
        }
        leave(in, oldLimit);
        return new OnnxNode(inputs, outputs, name, opType, domain, attributes, docString);
    }

    private static OnnxAttribute readAttributeMessage(CodedInputStream in, int depth) throws IOException {
        int oldLimit = enter(in);
        String name = "";
        OnnxAttribute.Type type = OnnxAttribute.Type.UNDEFINED;
        float f = 0f;
        long i = 0;
        ByteString s = ByteString.EMPTY;
        OnnxTensor t = null;
        OnnxGraph g = null;
        FloatList floats = new FloatList();
        LongList ints = new LongList();
        List<ByteString> strings = new ArrayList<>();
        List<OnnxTensor> tensors = new ArrayList<>();
        List<OnnxGraph> graphs = new ArrayList<>();
        String refAttrName = "";
        String docString = "";
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (tag) {
                case 1 << 3 | LEN -> name = in.readStringRequireUtf8();
                case 2 << 3 | I32 -> f = in.readFloat();
                case 3 << 3 | VARINT -> i = in.readInt64();
                case 4 << 3 | LEN -> s = in.readBytes();
                case 5 << 3 | LEN -> t = readTensorMessage(in);
                case 6 << 3 | LEN -> g = readGraphMessage(in, depth + 1);
                case 7 << 3 | I32 -> floats.add(in.readFloat());
                case 7 << 3 | LEN -> readPackedFloats(in, floats);
                case 8 << 3 | VARINT -> ints.add(in.readInt64());
                case 8 << 3 | LEN -> readPackedInt64(in, ints);
                case 9 << 3 | LEN -> strings.add(in.readBytes());
                case 10 << 3 | LEN -> tensors.add(readTensorMessage(in));
                case 11 << 3 | LEN -> graphs.add(readGraphMessage(in, depth + 1));
                case 13 << 3 | LEN -> docString = in.readString();
                case 20 << 3 | VARINT -> type = OnnxAttribute.Type.fromCode(in.readEnum());
                case 21 << 3 | LEN -> refAttrName = in.readStringRequireUtf8();
                default -> skip(in, tag);
            }
        }
        leave(in, oldLimit);
        return new OnnxAttribute(name, type, f, i, s, t, g, floats.toArray(), ints.toArray(), strings,
                tensors, graphs, refAttrName, docString);
    }

    private static OnnxTensor readTensorMessage(CodedInputStream in) throws IOException {
        int oldLimit = enter(in);
        String name = "";
        int dataType = 0;
        LongList dims = new LongList();
        ByteString raw = ByteString.EMPTY;
        FloatList floats = new FloatList();
        IntList int32s = new IntList();
        LongList int64s = new LongList();
        DoubleList doubles = new DoubleList();
        List<ByteString> strings = new ArrayList<>();
        int dataLocation = 0;
        List<StringEntry> external = new ArrayList<>();
        String docString = "";
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (tag) {
                case 1 << 3 | VARINT -> dims.add(in.readInt64());
                case 1 << 3 | LEN -> readPackedInt64(in, dims);
                case 2 << 3 | VARINT -> dataType = in.readInt32();
                case 4 << 3 | I32 -> floats.add(in.readFloat());
                case 4 << 3 | LEN -> readPackedFloats(in, floats);
                case 5 << 3 | VARINT -> int32s.add(in.readInt32());
                case 5 << 3 | LEN -> readPackedInt32(in, int32s);
                case 6 << 3 | LEN -> strings.add(in.readBytes());
                case 7 << 3 | VARINT -> int64s.add(in.readInt64());
                case 7 << 3 | LEN -> readPackedInt64(in, int64s);
                case 8 << 3 | LEN -> name = in.readStringRequireUtf8();
                case 9 << 3 | LEN -> raw = in.readBytes();
                case 10 << 3 | I64 -> doubles.add(in.readDouble());
                case 10 << 3 | LEN -> readPackedDoubles(in, doubles);
                case 12 << 3 | LEN -> docString = in.readString();
                case 13 << 3 | LEN -> external.add(readEntryMessage(in));
                case 14 << 3 | VARINT -> dataLocation = in.readEnum();
                default -> skip(in, tag);
            }
        }
        leave(in, oldLimit);
        return new OnnxTensor(name, dataType, dims.toArray(), raw, floats.toArray(), int32s.toArray(),
                int64s.toArray(), doubles.toArray(), strings, dataLocation, external, docString);
    }

    private static ValueInfo readValueInfoMessage(CodedInputStream in) throws IOException {
        int oldLimit = enter(in);
        String name = "";
        int elemType = 0;
        List<ValueInfo.Dim> shape = null;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (tag) {
                case 1 << 3 | LEN -> name = in.readStringRequireUtf8();
                case 2 << 3 | LEN -> {
                    // TypeProto: only tensor_type (1) is kept; a later type field replaces an earlier one
                    elemType = 0;
                    shape = null;
                    int typeLimit = enter(in);
                    for (int typeTag = in.readTag(); typeTag != 0; typeTag = in.readTag()) {
                        if (typeTag == (1 << 3 | LEN)) {
                            int tensorLimit = enter(in);
                            for (int tt = in.readTag(); tt != 0; tt = in.readTag()) {
                                switch (tt) {
                                    case 1 << 3 | VARINT -> elemType = in.readInt32();
                                    case 2 << 3 | LEN -> shape = readShapeMessage(in);
                                    default -> skip(in, tt);
                                }
                            }
                            leave(in, tensorLimit);
                        } else {
                            skip(in, typeTag);
                        }
                    }
                    leave(in, typeLimit);
                }
                default -> skip(in, tag);
            }
        }
        leave(in, oldLimit);
        return new ValueInfo(name, elemType, shape);
    }

    private static List<ValueInfo.Dim> readShapeMessage(CodedInputStream in) throws IOException {
        int oldLimit = enter(in);
        List<ValueInfo.Dim> dims = new ArrayList<>();
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            if (tag == (1 << 3 | LEN)) {
                int dimLimit = enter(in);
                long value = -1;
                String param = null;
                for (int dt = in.readTag(); dt != 0; dt = in.readTag()) {
                    switch (dt) {
                        case 1 << 3 | VARINT -> {
                            value = in.readInt64();
                            param = null; // oneof: the last one set wins
                        }
                        case 2 << 3 | LEN -> {
                            param = in.readStringRequireUtf8();
                            value = -1;
                        }
                        default -> skip(in, dt);
                    }
                }
                leave(in, dimLimit);
                dims.add(new ValueInfo.Dim(value, param));
            } else {
                skip(in, tag);
            }
        }
        leave(in, oldLimit);
        return dims;
    }

    private static OpsetId readOpsetMessage(CodedInputStream in) throws IOException {
        int oldLimit = enter(in);
        String domain = "";
        long version = 0;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (tag) {
                case 1 << 3 | LEN -> domain = in.readStringRequireUtf8();
                case 2 << 3 | VARINT -> version = in.readInt64();
                default -> skip(in, tag);
            }
        }
        leave(in, oldLimit);
        return new OpsetId(domain, version);
    }

    private static StringEntry readEntryMessage(CodedInputStream in) throws IOException {
        int oldLimit = enter(in);
        String key = "";
        String value = "";
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (tag) {
                case 1 << 3 | LEN -> key = in.readStringRequireUtf8();
                case 2 << 3 | LEN -> value = in.readStringRequireUtf8();
                default -> skip(in, tag);
            }
        }
        leave(in, oldLimit);
        return new StringEntry(key, value);
    }

    // ------------------------------------------------------------------ wire helpers

    /** Reads a length prefix and limits the stream to it; returns the previous limit. */
    private static int enter(CodedInputStream in) throws IOException {
        int length = in.readRawVarint32();
        if (length < 0) {
            throw new InvalidProtocolBufferException("negative length " + length + " for an embedded message or packed field");
        }
        return in.pushLimit(length);
    }

    /**
     * Restores the previous limit after checking that the embedded message was complete: at the
     * top level the decoder has no limit, so a length running past the end of the input stops
     * the inner loop early instead of failing.
     */
    private static void leave(CodedInputStream in, int oldLimit) throws InvalidProtocolBufferException {
        int missing = in.getBytesUntilLimit();
        if (missing != 0) {
            throw new InvalidProtocolBufferException("input ends " + missing
                    + " bytes before the end of an embedded message; the data is truncated");
        }
        in.popLimit(oldLimit);
    }

    private static void skip(CodedInputStream in, int tag) throws IOException {
        if (!in.skipField(tag)) {
            throw new InvalidProtocolBufferException("unexpected end-group tag " + tag);
        }
    }

    private static void readPackedInt64(CodedInputStream in, LongList out) throws IOException {
        int oldLimit = enter(in);
        while (!in.isAtEnd()) {
            out.add(in.readInt64());
        }
        leave(in, oldLimit);
    }

    private static void readPackedInt32(CodedInputStream in, IntList out) throws IOException {
        int oldLimit = enter(in);
        while (!in.isAtEnd()) {
            out.add(in.readInt32());
        }
        leave(in, oldLimit);
    }

    private static void readPackedFloats(CodedInputStream in, FloatList out) throws IOException {
        int length = in.readRawVarint32();
        if (length < 0 || length % 4 != 0) {
            throw new InvalidProtocolBufferException("packed float field of " + length + " bytes (not a multiple of 4)");
        }
        byte[] bytes = in.readRawBytes(length);
        float[] values = new float[length / 4];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
        out.addAll(values);
    }

    private static void readPackedDoubles(CodedInputStream in, DoubleList out) throws IOException {
        int length = in.readRawVarint32();
        if (length < 0 || length % 8 != 0) {
            throw new InvalidProtocolBufferException("packed double field of " + length + " bytes (not a multiple of 8)");
        }
        byte[] bytes = in.readRawBytes(length);
        double[] values = new double[length / 8];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().get(values);
        out.addAll(values);
    }

    // ------------------------------------------------------------------ growable primitive lists

    private static final class LongList {
        private long[] data = new long[8];
        private int size;

        void add(long v) {
            if (size == data.length) {
                data = Arrays.copyOf(data, grow(size));
            }
            data[size++] = v;
        }

        long[] toArray() {
            return Arrays.copyOf(data, size);
        }
    }

    private static final class IntList {
        private int[] data = new int[8];
        private int size;

        void add(int v) {
            if (size == data.length) {
                data = Arrays.copyOf(data, grow(size));
            }
            data[size++] = v;
        }

        int[] toArray() {
            return Arrays.copyOf(data, size);
        }
    }

    private static final class FloatList {
        private float[] data = new float[0];
        private int size;

        void add(float v) {
            if (size == data.length) {
                data = Arrays.copyOf(data, grow(size));
            }
            data[size++] = v;
        }

        void addAll(float[] values) {
            if (size == 0) {
                data = values;
                size = values.length;
                return;
            }
            if (size + values.length > data.length) {
                data = Arrays.copyOf(data, Math.max(grow(size), size + values.length));
            }
            System.arraycopy(values, 0, data, size, values.length);
            size += values.length;
        }

        float[] toArray() {
            return size == data.length ? data : Arrays.copyOf(data, size);
        }
    }

    private static final class DoubleList {
        private double[] data = new double[0];
        private int size;

        void add(double v) {
            if (size == data.length) {
                data = Arrays.copyOf(data, grow(size));
            }
            data[size++] = v;
        }

        void addAll(double[] values) {
            if (size == 0) {
                data = values;
                size = values.length;
                return;
            }
            if (size + values.length > data.length) {
                data = Arrays.copyOf(data, Math.max(grow(size), size + values.length));
            }
            System.arraycopy(values, 0, data, size, values.length);
            size += values.length;
        }

        double[] toArray() {
            return size == data.length ? data : Arrays.copyOf(data, size);
        }
    }

    private static int grow(int size) {
        return size < 8 ? 8 : size + (size >> 1) + 1;
    }
}
