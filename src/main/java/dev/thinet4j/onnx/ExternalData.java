package dev.thinet4j.onnx;

import com.google.protobuf.ByteString;
import dev.thinet4j.onnx.proto.OnnxTensor;
import dev.thinet4j.onnx.proto.StringEntry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;

/**
 * Reads initializers whose data lives in an external file next to the model
 * ({@code data_location = EXTERNAL}): only files inside the model's directory, with the declared
 * range checked against the file before anything is allocated.
 */
final class ExternalData {
    private final String source;
    private final Path baseDir;

    /**
     * @param source  the model's name for messages
     * @param baseDir the model's directory; null when the model was not loaded from a file
     */
    ExternalData(String source, Path baseDir) {
        this.source = source;
        this.baseDir = baseDir;
    }

    /**
     * @param t a tensor with external data
     * @return the same tensor with its bytes as raw data
     */
    OnnxTensor read(OnnxTensor t) {
        String location = null;
        long offset = 0;
        long length = -1;
        for (StringEntry e : t.externalData()) {
            switch (e.key()) {
                case "location" -> location = e.value();
                case "offset" -> offset = parseLong(t, e);
                case "length" -> length = parseLong(t, e);
                default -> {
                }
            }
        }
        String file = location == null ? "?" : location;
        String hint = "; re-export with all tensors inside the .onnx file";
        if (baseDir == null || location == null) {
            throw unsupported("initializer '" + t.name() + "' keeps its data in the external file '" + file
                    + "': external data is supported only when loading the model from a file with"
                    + " OnnxImporter.load(Path)" + hint);
        }
        Path base = baseDir.normalize();
        Path p = base.resolve(location).normalize();
        if (Path.of(location).isAbsolute() || !p.startsWith(base)) {
            throw unsupported("initializer '" + t.name() + "' keeps its data in '" + location
                    + "', outside the model's directory " + base + hint);
        }
        int width = OnnxTensor.rawElementSize(t.dataType());
        long need;
        try {
            need = Math.multiplyExact(t.elementCount(), (long) Math.max(width, 0));
        } catch (ArithmeticException e) {
            throw fail("initializer '" + t.name() + "' (" + OnnxTensor.dataTypeName(t.dataType()) + " "
                    + Arrays.toString(t.dims()) + ") declares more than 2^63 bytes of external data");
        }
        if (need < 0) {
            throw fail("initializer '" + t.name() + "' has a negative dimension in " + Arrays.toString(t.dims()));
        }
        if (length < 0) {
            length = need;
        }
        if (length != need) {
            throw fail("initializer '" + t.name() + "' external data length " + length + " does not match its "
                    + need + " bytes (" + OnnxTensor.dataTypeName(t.dataType()) + " " + Arrays.toString(t.dims())
                    + ")");
        }
        if (length > Integer.MAX_VALUE - 8) {
            throw fail("initializer '" + t.name() + "' (" + OnnxTensor.dataTypeName(t.dataType()) + " "
                    + Arrays.toString(t.dims()) + ") needs " + length + " bytes, more than one Java array holds ("
                    + (Integer.MAX_VALUE - 8) + ")");
        }
        if (offset < 0) {
            throw fail("initializer '" + t.name() + "': external data offset " + offset + " is negative");
        }
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            // check the declared range against the file before allocating it
            if (offset > ch.size() - length) {
                throw fail("initializer '" + t.name() + "': the external file '" + location + "' ends before byte "
                        + (offset + length) + " (it has " + ch.size() + " bytes; " + OnnxTensor.dataTypeName(t.dataType())
                        + " " + Arrays.toString(t.dims()) + " needs " + length + " from offset " + offset + ")");
            }
            byte[] bytes = new byte[(int) length];
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            long pos = offset;
            while (buf.hasRemaining()) {
                int r = ch.read(buf, pos);
                if (r < 0) {
                    throw fail("initializer '" + t.name() + "': the external file '" + location + "' ends before byte "
                            + (offset + length));
                }
                pos += r;
            }
            return t.toBuilder().rawData(ByteString.copyFrom(bytes)).dataLocation(OnnxTensor.LOCATION_DEFAULT)
                    .externalData(List.of()).build();
        } catch (NoSuchFileException e) {
            throw unsupported("initializer '" + t.name() + "' keeps its data in the external file '" + location
                    + "', which does not exist next to the model (" + p + "); copy it there" + hint.replace(";", " or"),
                    e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read external data '" + location + "' of initializer '"
                    + t.name() + "': " + e.getMessage(), e);
        }
    }

    private long parseLong(OnnxTensor t, StringEntry e) {
        try {
            return Long.parseLong(e.value().trim());
        } catch (NumberFormatException ex) {
            throw fail("initializer '" + t.name() + "': external data " + e.key() + " '" + e.value()
                    + "' is not a number");
        }
    }

    private OnnxImportException fail(String msg) {
        return new OnnxImportException("cannot import " + source + ": " + msg);
    }

    private UnsupportedOnnxException unsupported(String msg) {
        return new UnsupportedOnnxException("cannot import " + source + ": " + msg);
    }

    private UnsupportedOnnxException unsupported(String msg, Throwable cause) {
        return new UnsupportedOnnxException("cannot import " + source + ": " + msg, cause);
    }
}
