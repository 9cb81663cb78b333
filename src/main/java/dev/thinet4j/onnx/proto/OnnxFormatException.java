package dev.thinet4j.onnx.proto;

/**
 * Thrown by {@link OnnxProtoReader} when the input is not a readable ONNX {@code ModelProto}:
 * bytes that are not a well-formed protobuf (garbage, a truncated file, invalid UTF-8 in a
 * string field), or a well-formed protobuf that lacks what every ONNX model has (a graph, an IR
 * version).
 *
 * <p>Unchecked on purpose: a malformed model is a data error the caller usually cannot recover
 * from locally. The message always starts with {@code "not an ONNX model: <source>"}, where the
 * source is the file name, or a description of the byte array or stream; when the protobuf
 * itself is broken it also says at which byte the decoder gave up.
 */
public final class OnnxFormatException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message the full, human-readable message
     */
    public OnnxFormatException(String message) {
        super(message);
    }

    /**
     * @param message the full, human-readable message
     * @param cause   the underlying decoder error
     */
    public OnnxFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
