package dev.thinet4j.onnx;

/**
 * A valid ONNX model uses an operator, domain, attribute value, graph pattern or storage form
 * (external data) that thinet4j does not support. The message names the node (and its op type)
 * or the tensor concerned and, for an unknown operator, lists the supported ones.
 */
public class UnsupportedOnnxException extends OnnxImportException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message the full message, starting with {@code "cannot import <source>: "}
     */
    public UnsupportedOnnxException(String message) {
        super(message);
    }

    /**
     * @param message the full message, starting with {@code "cannot import <source>: "}
     * @param cause   the underlying error
     */
    public UnsupportedOnnxException(String message, Throwable cause) {
        super(message, cause);
    }
}
