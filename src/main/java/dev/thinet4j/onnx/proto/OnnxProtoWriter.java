package dev.thinet4j.onnx.proto;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Encodes {@link OnnxModel} records as an ONNX {@code ModelProto} (a {@code .onnx} file).
 *
 * <p>Hand-written on top of {@link CodedOutputStream}: no generated classes. Fields are written
 * in field-number order and with the encoding the official {@code onnx.proto} (a proto2 file)
 * implies: {@code TensorProto.dims} and {@code AttributeProto.floats}/{@code ints} unpacked,
 * {@code float_data}/{@code int32_data}/{@code int64_data}/{@code double_data} packed. Empty
 * optional strings are left out; the value field that matches an attribute's type is always
 * written. Output is deterministic: equal models give equal bytes.
 *
 * <p>A model must have {@code irVersion >= 1} and at least one opset import (what
 * {@link OnnxProtoReader} requires back), and must encode to less than 2 GB, the protobuf limit;
 * otherwise an {@link IllegalArgumentException} is thrown before anything is written.
 * I/O failures are thrown as {@link UncheckedIOException}.
 */
public final class OnnxProtoWriter {

    /** The largest array the JVM reliably allocates. */
    private static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

    private OnnxProtoWriter() {
    }

    /**
     * @param model the model
     * @return its serialized bytes
     * @throws IllegalArgumentException when the model is invalid or encodes to 2 GB or more
     */
    public static byte[] write(OnnxModel model) {
        long size = checkedSize(model);
        if (size > MAX_ARRAY) {
            throw new IllegalArgumentException("model encodes to " + size + " bytes, too large for a byte array");
        }
        byte[] bytes = new byte[(int) size];
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        try {
            new Writing(out).model(model);
            out.checkNoSpaceLeft();
        } catch (IOException e) {
            throw new IllegalStateException("size computation and encoding disagree", e);
        }
        return bytes;
    }

    /**
     * Writes the model to a stream, then flushes it; the stream is not closed.
     *
     * @param model  the model
     * @param stream the destination
     * @throws IllegalArgumentException when the model is invalid or encodes to 2 GB or more
     * @throws UncheckedIOException     when the stream fails
     */
    public static void write(OnnxModel model, OutputStream stream) {
        long size = checkedSize(model);
        CodedOutputStream out = CodedOutputStream.newInstance(stream, (int) Math.min(1 << 16, Math.max(size, 16)));
        try {
            new Writing(out).model(model);
            out.flush();
            if (out.getTotalBytesWritten() != size) {
                throw new IllegalStateException("wrote " + out.getTotalBytesWritten() + " bytes, expected " + size);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write ONNX model: " + e, e);
        }
    }

    /**
     * Writes the model to a file atomically: the bytes go to a temporary file in the same
     * directory, which is synced and then renamed over {@code file}. On any failure the
     * temporary file is deleted and an existing {@code file} is left as it was (this includes a
     * full disk and an interrupted thread, which closes the channel). A new file gets permissions
     * {@code rw-r--r--}; a replaced one keeps its permissions (POSIX systems). A destination that
     * is a folder, or whose folder is missing or is a file, is refused before anything is written,
     * with a message saying so.
     *
     * @param model the model
     * @param file  the destination
     * @throws IllegalArgumentException when the model is invalid or encodes to 2 GB or more
     * @throws UncheckedIOException     when the file cannot be written
     */
    public static void write(OnnxModel model, Path file) {
        checkedSize(model); // fail before touching the file system
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        checkDestination(file, target, dir);
        Path temp = null;
        try {
            temp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                OutputStream stream = Channels.newOutputStream(channel);
                try {
                    write(model, stream);
                } catch (UncheckedIOException e) {
                    throw e.getCause(); // reported below with the file name
                }
                stream.flush();
                channel.force(true);
            }
            copyPermissions(target, temp);
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            temp = null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write ONNX model " + file + ": " + e, e);
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // best effort: the original failure is what matters
                }
            }
        }
    }

    /** Clear messages for the usual mistakes, before a temporary file is made. */
    private static void checkDestination(Path file, Path target, Path dir) {
        String cannot = "cannot write ONNX model " + file + ": ";
        if (Files.isDirectory(target)) {
            throw new UncheckedIOException(cannot + "it is a folder; give a file name",
                    new FileSystemException(file.toString(), null, "is a directory"));
        }
        if (dir != null && !Files.isDirectory(dir)) {
            if (Files.exists(dir)) {
                throw new UncheckedIOException(cannot + dir + " is a file, not a folder",
                        new NotDirectoryException(dir.toString()));
            }
            throw new UncheckedIOException(cannot + "the folder " + dir + " does not exist",
                    new NoSuchFileException(dir.toString()));
        }
    }

    /**
     * @param model the model
     * @return the number of bytes {@link #write(OnnxModel)} would produce
     * @throws IllegalArgumentException when the model is invalid or encodes to 2 GB or more
     */
    public static long serializedSize(OnnxModel model) {
        return checkedSize(model);
    }

    private static void copyPermissions(Path target, Path temp) throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(temp, PosixFileAttributeView.class);
        if (view == null) {
            return;
        }
        Set<PosixFilePermission> perms;
        if (Files.exists(target)) {
            perms = Files.getPosixFilePermissions(target);
        } else {
            perms = PosixFilePermissions.fromString("rw-r--r--");
        }
        view.setPermissions(perms);
    }

    private static long checkedSize(OnnxModel model) {
        if (model.irVersion() < 1) {
            throw new IllegalArgumentException("irVersion must be >= 1, got " + model.irVersion());
        }
        if (model.opsetImports().isEmpty()) {
            throw new IllegalArgumentException("a model needs at least one opset import");
        }
        Counting counting = new Counting();
        try {
            counting.model(model);
        } catch (IOException e) {
            throw new IllegalStateException(e); // counting does no I/O
        }
        if (counting.total > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("model encodes to " + counting.total
                    + " bytes, over the 2 GB protobuf limit (store large weights as external data)");
        }
        return counting.total;
    }

    // ------------------------------------------------------------------ encoding, shared by counting and writing

    /** A message body: emits its fields to a sink. */
    @FunctionalInterface
    private interface Body {
        void emit(Sink sink) throws IOException;
    }

    /**
     * Receives fields. {@link Counting} adds up their encoded size; {@link Writing} encodes them.
     * The message layouts are written once, in the methods below, and used by both.
     */
    private abstract static class Sink {
        abstract void int64(int field, long value) throws IOException;

        abstract void float32(int field, float value) throws IOException;

        abstract void bytes(int field, ByteString value) throws IOException;

        abstract void string(int field, String value) throws IOException;

        abstract void packedFloats(int field, float[] values) throws IOException;

        abstract void packedDoubles(int field, double[] values) throws IOException;

        abstract void packedInt64(int field, long[] values) throws IOException;

        abstract void packedInt32(int field, int[] values) throws IOException;

        abstract void message(int field, Body body) throws IOException;

        final void optionalString(int field, String value) throws IOException {
            if (!value.isEmpty()) {
                string(field, value);
            }
        }

        // ModelProto
        final void model(OnnxModel m) throws IOException {
            int64(1, m.irVersion());
            optionalString(2, m.producerName());
            optionalString(3, m.producerVersion());
            optionalString(4, m.domain());
            if (m.modelVersion() != 0) {
                int64(5, m.modelVersion());
            }
            optionalString(6, m.docString());
            message(7, s -> s.graph(m.graph()));
            for (OpsetId o : m.opsetImports()) {
                message(8, s -> {
                    s.string(1, o.domain());
                    s.int64(2, o.version());
                });
            }
            for (StringEntry e : m.metadataProps()) {
                message(14, s -> s.entry(e));
            }
        }

        // StringStringEntryProto
        final void entry(StringEntry e) throws IOException {
            string(1, e.key());
            string(2, e.value());
        }

        // GraphProto
        final void graph(OnnxGraph g) throws IOException {
            for (OnnxNode n : g.nodes()) {
                message(1, s -> s.node(n));
            }
            optionalString(2, g.name());
            for (OnnxTensor t : g.initializers()) {
                message(5, s -> s.tensor(t));
            }
            optionalString(10, g.docString());
            for (ValueInfo v : g.inputs()) {
                message(11, s -> s.valueInfo(v));
            }
            for (ValueInfo v : g.outputs()) {
                message(12, s -> s.valueInfo(v));
            }
            for (ValueInfo v : g.valueInfo()) {
                message(13, s -> s.valueInfo(v));
            }
        }

        // NodeProto
        final void node(OnnxNode n) throws IOException {
            for (String input : n.inputs()) {
                string(1, input); // "" marks an omitted optional input and must be kept
            }
            for (String output : n.outputs()) {
                string(2, output);
            }
            optionalString(3, n.name());
            string(4, n.opType());
            for (OnnxAttribute a : n.attributes()) {
                message(5, s -> s.attribute(a));
            }
            optionalString(6, n.docString());
            optionalString(7, n.domain());
        }

        // AttributeProto
        final void attribute(OnnxAttribute a) throws IOException {
            OnnxAttribute.Type type = a.type();
            string(1, a.name());
            if (type == OnnxAttribute.Type.FLOAT || Float.floatToRawIntBits(a.f()) != 0) {
                float32(2, a.f());
            }
            if (type == OnnxAttribute.Type.INT || a.i() != 0) {
                int64(3, a.i());
            }
            if (type == OnnxAttribute.Type.STRING || !a.s().isEmpty()) {
                bytes(4, a.s());
            }
            if (a.t() != null) {
                OnnxTensor t = a.t();
                message(5, s -> s.tensor(t));
            }
            if (a.g() != null) {
                OnnxGraph g = a.g();
                message(6, s -> s.graph(g));
            }
            for (float v : a.floatsRef()) {
                float32(7, v); // unpacked, as in onnx.proto (proto2, no [packed=true])
            }
            for (long v : a.intsRef()) {
                int64(8, v);
            }
            for (ByteString v : a.strings()) {
                bytes(9, v);
            }
            for (OnnxTensor t : a.tensors()) {
                message(10, s -> s.tensor(t));
            }
            for (OnnxGraph g : a.graphs()) {
                message(11, s -> s.graph(g));
            }
            optionalString(13, a.docString());
            int64(20, type.code());
            optionalString(21, a.refAttrName());
        }

        // TensorProto
        final void tensor(OnnxTensor t) throws IOException {
            for (long d : t.dimsRef()) {
                int64(1, d); // unpacked, as in onnx.proto
            }
            int64(2, t.dataType());
            packedFloats(4, t.floatDataRef());
            packedInt32(5, t.int32DataRef());
            for (ByteString v : t.stringData()) {
                bytes(6, v);
            }
            packedInt64(7, t.int64DataRef());
            optionalString(8, t.name());
            if (!t.rawData().isEmpty()) {
                bytes(9, t.rawData());
            }
            packedDoubles(10, t.doubleDataRef());
            optionalString(12, t.docString());
            for (StringEntry e : t.externalData()) {
                message(13, s -> s.entry(e));
            }
            if (t.dataLocation() != 0) {
                int64(14, t.dataLocation());
            }
        }

        // ValueInfoProto
        final void valueInfo(ValueInfo v) throws IOException {
            string(1, v.name());
            if (v.elemType() == 0 && v.shape() == null) {
                return;
            }
            message(2, type -> type.message(1, tensorType -> {      // TypeProto.tensor_type
                tensorType.int64(1, v.elemType());                   // elem_type
                if (v.shape() != null) {
                    tensorType.message(2, shape -> {                 // TensorShapeProto
                        for (ValueInfo.Dim d : v.shape()) {
                            shape.message(1, dim -> {                // Dimension
                                if (d.param() != null) {
                                    dim.string(2, d.param());
                                } else if (d.value() >= 0) {
                                    dim.int64(1, d.value());
                                }
                            });
                        }
                    });
                }
            }));
        }
    }

    /** Adds up encoded sizes, in bytes. */
    private static final class Counting extends Sink {
        long total;

        @Override
        void int64(int field, long value) {
            total += CodedOutputStream.computeInt64Size(field, value);
        }

        @Override
        void float32(int field, float value) {
            total += CodedOutputStream.computeFloatSize(field, value);
        }

        @Override
        void bytes(int field, ByteString value) {
            total += CodedOutputStream.computeBytesSize(field, value);
        }

        @Override
        void string(int field, String value) {
            total += CodedOutputStream.computeStringSize(field, value);
        }

        @Override
        void packedFloats(int field, float[] values) {
            if (values.length > 0) {
                total += lengthDelimited(field, 4L * values.length);
            }
        }

        @Override
        void packedDoubles(int field, double[] values) {
            if (values.length > 0) {
                total += lengthDelimited(field, 8L * values.length);
            }
        }

        @Override
        void packedInt64(int field, long[] values) {
            if (values.length > 0) {
                total += lengthDelimited(field, int64PayloadSize(values));
            }
        }

        @Override
        void packedInt32(int field, int[] values) {
            if (values.length > 0) {
                total += lengthDelimited(field, int32PayloadSize(values));
            }
        }

        @Override
        void message(int field, Body body) throws IOException {
            long before = total;
            body.emit(this);
            long content = total - before;
            total = before + lengthDelimited(field, content);
        }
    }

    /** Encodes to a {@link CodedOutputStream}; nested message lengths come from a {@link Counting} pass. */
    private static final class Writing extends Sink {
        private final CodedOutputStream out;

        Writing(CodedOutputStream out) {
            this.out = out;
        }

        @Override
        void int64(int field, long value) throws IOException {
            out.writeInt64(field, value);
        }

        @Override
        void float32(int field, float value) throws IOException {
            out.writeFloat(field, value);
        }

        @Override
        void bytes(int field, ByteString value) throws IOException {
            out.writeBytes(field, value);
        }

        @Override
        void string(int field, String value) throws IOException {
            out.writeString(field, value);
        }

        private void lengthPrefix(int field, long content) throws IOException {
            out.writeTag(field, WireFormat.WIRETYPE_LENGTH_DELIMITED);
            out.writeUInt32NoTag((int) content);
        }

        @Override
        void packedFloats(int field, float[] values) throws IOException {
            if (values.length > 0) {
                lengthPrefix(field, 4L * values.length);
                for (float v : values) {
                    out.writeFloatNoTag(v);
                }
            }
        }

        @Override
        void packedDoubles(int field, double[] values) throws IOException {
            if (values.length > 0) {
                lengthPrefix(field, 8L * values.length);
                for (double v : values) {
                    out.writeDoubleNoTag(v);
                }
            }
        }

        @Override
        void packedInt64(int field, long[] values) throws IOException {
            if (values.length > 0) {
                lengthPrefix(field, int64PayloadSize(values));
                for (long v : values) {
                    out.writeInt64NoTag(v);
                }
            }
        }

        @Override
        void packedInt32(int field, int[] values) throws IOException {
            if (values.length > 0) {
                lengthPrefix(field, int32PayloadSize(values));
                for (int v : values) {
                    out.writeInt32NoTag(v);
                }
            }
        }

        @Override
        void message(int field, Body body) throws IOException {
            Counting counting = new Counting();
            body.emit(counting);
            lengthPrefix(field, counting.total);
            body.emit(this);
        }
    }

    private static long int64PayloadSize(long[] values) {
        long n = 0;
        for (long v : values) {
            n += CodedOutputStream.computeInt64SizeNoTag(v);
        }
        return n;
    }

    private static long int32PayloadSize(int[] values) {
        long n = 0;
        for (int v : values) {
            n += CodedOutputStream.computeInt32SizeNoTag(v);
        }
        return n;
    }

    /** Size of a length-delimited field with {@code content} bytes; rejects content over 2 GB. */
    private static long lengthDelimited(int field, long content) {
        if (content > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("an ONNX message would be " + content
                    + " bytes, over the 2 GB protobuf limit (store large weights as external data)");
        }
        return CodedOutputStream.computeTagSize(field) + CodedOutputStream.computeUInt32SizeNoTag((int) content) + content;
    }
}
