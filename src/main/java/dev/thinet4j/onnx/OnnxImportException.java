package dev.thinet4j.onnx;

/**
 * Thrown by {@link OnnxImporter} when a readable ONNX file cannot become a
 * {@link dev.thinet4j.model.Network}: the graph is inconsistent (a node reads a tensor nobody
 * writes, the nodes form a cycle, a weight holds NaN) or has no single NCHW image input.
 *
 * <p>Files that are not ONNX at all (garbage, truncated) are reported by the codec as
 * {@link dev.thinet4j.onnx.proto.OnnxFormatException}; valid ONNX that uses something thinet4j
 * does not handle is reported as the subclass {@link UnsupportedOnnxException}.
 *
 * <p>Unchecked, like {@code OnnxFormatException}. Messages start with
 * {@code "cannot import <source>: "} and name the node and tensor involved.
 */
public class OnnxImportException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message the full message, starting with {@code "cannot import <source>: "}
     */
    public OnnxImportException(String message) {
        super(message);
    }

    /**
     * @param message the full message, starting with {@code "cannot import <source>: "}
     * @param cause   the underlying error
     */
    public OnnxImportException(String message, Throwable cause) {
        super(message, cause);
    }
}
